"""The yardstick for bench/submit.py: a Flask app whose one endpoint returns a short
string, served by gunicorn with the same settings file and worker count as the survey.

    gunicorn -c gunicorn.conf.py bench.bare_app:app
"""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "ok"

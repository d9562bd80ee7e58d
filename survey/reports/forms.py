"""Forms of the reports pages. Choosing what to see is a GET form (no state changes);
preparing a release changes state, so it is a POST with a CSRF token."""
from flask_wtf import FlaskForm


class BuildForm(FlaskForm):
    """Prepare (build and freeze) the results of a closed wave."""

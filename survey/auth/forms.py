from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address"), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=200)])
    code = StringField("Code from your authenticator app", validators=[DataRequired("Enter the 6-digit code from your authenticator app"), Length(max=10)])


class SetupForm(FlaskForm):
    password = PasswordField("Choose a password", validators=[DataRequired("Choose a password"), Length(max=200)])
    confirm = PasswordField("Type the password again", validators=[DataRequired("Type the password again"), Length(max=200)])
    code = StringField("Code from your authenticator app", validators=[DataRequired("Enter the 6-digit code from your authenticator app"), Length(max=10)])

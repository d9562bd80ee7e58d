"""Flask-WTF forms of the admin pages. Every state-changing action posts one of these (CSRF)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (DateField, EmailField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

ROLE_CHOICES = [("guardian", "Freedom to Speak Up guardian"), ("edi_lead", "EDI lead"), ("admin", "Administrator")]
MODE_CHOICES = [("invitation", "Invitation only: one-time links or QR slips, one per person"),
                ("open_link", "Open link: one shared link per organisation")]
MAX_TOKENS_PER_BATCH = 2000
MAX_QR_PER_SHEET = 300     # drawing a QR code takes ~15 ms: keep one request well under a worker timeout


class DayField(DateField):
    """A date typed as YYYY-MM-DD; a wrong one gets a message that says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"Enter {self.label.text.lower()} as year-month-day, for example 2025-03-01") from None


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CreateStaffForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter the email address of the account's owner"),
                                                    Length(max=254, message="Enter an email address of at most 254 characters")])
    role = RadioField("Role", choices=ROLE_CHOICES,
                      validators=[InputRequired("Choose the account's role")])


class OrgImportForm(FlaskForm):
    file = FileField("Organisation CSV file", validators=[FileRequired("Choose a CSV file to upload")])


class OrgNameForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the organisation's name"),
                                           Length(max=200, message="Enter a name of at most 200 characters")])


class SurveyUploadForm(FlaskForm):
    file = FileField("Survey definition (YAML)", validators=[FileRequired("Choose a YAML file to upload")])


class WaveForm(FlaskForm):
    survey = RadioField("Survey", validators=[InputRequired("Choose the survey this wave runs")])
    name = StringField("Name of the wave", validators=[DataRequired("Enter a name for the wave, for example 'Spring 2025'"),
                                                       Length(max=120, message="Enter a name of at most 120 characters")])
    orgs = SelectMultipleField("Organisations", validators=[DataRequired("Choose at least one organisation")])
    opens = DayField("Opens on", validators=[InputRequired("Enter the date the wave opens, for example 2025-03-01")],
                      format="%Y-%m-%d")
    closes = DayField("Closes on", validators=[InputRequired("Enter the date the wave closes, for example 2025-03-31")],
                       format="%Y-%m-%d")
    mode = RadioField("How staff get the survey", choices=MODE_CHOICES, default="invitation",
                      validators=[InputRequired("Choose invitation only or open link")])


class InvitedForm(FlaskForm):
    org = SelectField("Organisation", validators=[InputRequired("Choose the organisation")])
    invited = IntegerField("Number of staff invited", validators=[
        InputRequired("Enter how many staff were given the link, as a whole number"),
        NumberRange(min=1, max=100000, message="Enter a whole number from 1 to 100000")])


class TokenBatchForm(FlaskForm):
    org = SelectField("Organisation", validators=[InputRequired("Choose the organisation the links are for")])
    count = IntegerField("Number of links", validators=[
        InputRequired("Enter how many links to issue, as a whole number"),
        NumberRange(min=1, max=MAX_TOKENS_PER_BATCH, message=f"Enter a whole number from 1 to {MAX_TOKENS_PER_BATCH}")])
    output = RadioField("What to download", choices=[("csv", "A CSV file of links"), ("qr", "A printable sheet of QR slips")],
                        default="csv", validators=[InputRequired("Choose a CSV file or a sheet of QR slips")])

    def validate_count(self, field):
        if self.output.data == "qr" and field.data and field.data > MAX_QR_PER_SHEET:
            raise ValidationError(f"A sheet of QR slips holds at most {MAX_QR_PER_SHEET} links: issue several "
                                  "sheets, or choose the CSV file")

"""Flask-WTF forms of the admin pages. Every state-changing action posts one of these (CSRF)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
import datetime as dt

from wtforms import (EmailField, Field, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField)
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation, ValidationError

ROLE_CHOICES = [("guardian", "Freedom to Speak Up guardian"), ("edi_lead", "EDI lead"), ("admin", "Administrator")]
MODE_CHOICES = [("invitation", "Invitation only: one-time links or QR slips, one per person"),
                ("open_link", "Open link: one shared link per organisation")]
MAX_TOKENS_PER_BATCH = 2000
MAX_QR_PER_SHEET = 300     # drawing a QR code takes ~15 ms: keep one request well under a worker timeout


class DateInputField(Field):
    """A date as NHS.UK's date input asks for it: day, month and year in three boxes
    (`<name>-day`, `<name>-month`, `<name>-year`). Messages name the date in words
    (`words`, e.g. "the date the wave opens"), as the NHS.UK pattern says. A single
    `<name>` field of year-month-day is still read, for scripts that post the old form."""

    PARTS = ("day", "month", "year")

    def __init__(self, label=None, validators=None, words: str = "the date", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.words = words
        self.parts = {"day": "", "month": "", "year": ""}
        self._problem = None

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.data = None if data is unset_value else data
        self.raw_data = None
        if isinstance(self.data, dt.date):
            self.parts = {"day": str(self.data.day), "month": str(self.data.month), "year": str(self.data.year)}
        if formdata is None:
            return
        keys = [f"{self.name}-{p}" for p in self.PARTS]
        if any(k in formdata for k in keys):
            self.parts = {p: (formdata.get(k) or "").strip()[:10] for p, k in zip(self.PARTS, keys)}
        elif self.name in formdata:
            text = (formdata.get(self.name) or "").strip()[:20]
            try:
                day = dt.date.fromisoformat(text)
                self.parts = {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
            except ValueError:
                self.parts = {"day": "", "month": "", "year": ""} if not text else {"day": "?", "month": "?", "year": "?"}
        else:
            return
        self.raw_data = [self.parts[p] for p in self.PARTS]
        self.data, self._problem = self._parse()

    def _parse(self):
        words = self.words[0].upper() + self.words[1:]
        missing = [p for p in self.PARTS if not self.parts[p]]
        if len(missing) == 3:
            return None, f"Enter {self.words}"
        if missing:
            return None, f"{words} must include a {' and a '.join(missing)}"
        if not all(self.parts[p].isdigit() for p in self.PARTS):
            return None, f"{words} must be a real date, in numbers, for example 27 3 2025"
        if len(self.parts["year"]) != 4:
            return None, f"{words} must include a year with 4 numbers, for example 2025"
        try:
            return dt.date(int(self.parts["year"]), int(self.parts["month"]), int(self.parts["day"])), None
        except ValueError:
            return None, f"{words} must be a real date"

    def pre_validate(self, form):
        if self.data is None:
            raise StopValidation(self._problem or f"Enter {self.words}")

    def first_part_id(self) -> str:
        """The box the error summary should link to: the first one that needs fixing."""
        for p in self.PARTS:
            if not self.parts[p] or not self.parts[p].isdigit():
                return f"{self.id}-{p}"
        return f"{self.id}-day"


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
    opens = DateInputField("Opens on", words="the date the wave opens")
    closes = DateInputField("Closes on", words="the last day answers are accepted")
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

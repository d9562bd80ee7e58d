from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from survey.concerns.cases import MAX_TEXT
from survey.models import ELEMENTS
from survey.models.speakup import OUTCOMES

STATUS_CHOICES = [("acknowledged", "Acknowledged"), ("in_progress", "In progress"), ("waiting", "Waiting for the person")]


class ReplyForm(FlaskForm):
    body = TextAreaField("Reply to the person who spoke up", validators=[
        DataRequired("Enter your reply"), Length(max=MAX_TEXT, message=f"A reply must be {MAX_TEXT} characters or fewer")])


class NoteForm(FlaskForm):
    body = TextAreaField("Add an internal note", validators=[
        DataRequired("Enter the note"), Length(max=MAX_TEXT, message=f"A note must be {MAX_TEXT} characters or fewer")])


class StatusForm(FlaskForm):
    status = RadioField("Status", choices=STATUS_CHOICES, validators=[InputRequired("Choose a status")])
    elements = SelectMultipleField("Elements of the case", choices=list(ELEMENTS.items()), validators=[Optional()])


class CloseForm(FlaskForm):
    outcome = RadioField("Outcome", choices=list(OUTCOMES.items()), validators=[InputRequired("Choose the outcome of the case")])
    lessons = TextAreaField("Lessons learned (optional)", validators=[Optional(), Length(max=MAX_TEXT)])
    # "yes" once the guardian has seen the confirmation page; closing an open case needs it.
    confirm = HiddenField()


class AcknowledgeForm(FlaskForm):
    """Acknowledging a new case: its own button (CSRF only)."""


class RevealForm(FlaskForm):
    """Revealing contact details: a deliberate, audited POST (CSRF only)."""


class ReturnForm(FlaskForm):
    quarter = StringField("Financial quarter", validators=[
        DataRequired("Enter a quarter, for example 2025Q1"),
        Regexp(r"^\s*\d{4}\s*[Qq][1-4]\s*$", message="Enter a quarter like 2025Q1 (Q1 is April to June)")])

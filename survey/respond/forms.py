"""Forms of the answering pages. The questions come from the survey definition and are
read by survey.answers.validate_section; these forms carry the CSRF token."""
from flask_wtf import FlaskForm


class AnswerForm(FlaskForm):
    """One page of questions."""


class SubmitForm(FlaskForm):
    """Check your answers: submit."""


class StartAgainForm(FlaskForm):
    """Open link, browser already used: a different person starts."""

"""Forms of the public speak-up pages. Every POST carries a CSRF token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from survey.concerns.cases import MAX_ADDRESS, MAX_CONTACT, MAX_TEXT, is_email_address
from survey.models import ELEMENTS
from survey.models.speakup import FEEDBACK_ANSWERS

PREFER_NOT = "none"


class RaiseForm(FlaskForm):
    text = TextAreaField("What happened?", validators=[DataRequired("Describe what happened"),
                                                        Length(max=MAX_TEXT, message=f"What happened must be {MAX_TEXT} characters or fewer")])
    elements = SelectMultipleField("What does your concern involve?", choices=list(ELEMENTS.items()),
                                   validators=[Optional()])
    org = SelectField("Where did it happen?", choices=[], validators=[Optional()], default=PREFER_NOT)
    contact_mode = RadioField("How should the guardian contact you?",
                              choices=[("anonymous", "Stay anonymous"), ("confidential", "Confidential: the guardian may contact me")],
                              validators=[InputRequired("Choose whether to stay anonymous or give contact details")])
    contact = TextAreaField("Your name and how to contact you", validators=[Optional(), Length(max=MAX_CONTACT,
                            message=f"Contact details must be {MAX_CONTACT} characters or fewer")])
    notify_address = StringField("E-mail me when the guardian replies (optional)",
                                 validators=[Optional(), Length(max=MAX_ADDRESS, message=f"The e-mail address must be {MAX_ADDRESS} characters or fewer")])
    # The honeypot: hidden from people, filled by bots. Named like a field bots love.
    website = StringField("Leave this blank", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # An empty value among the ticked elements (a crafted form: the page sends none) passes
        # the Optional() validator; anything else must be one of the elements.
        chosen = [e for e in (self.elements.data or []) if e]
        if any(e not in ELEMENTS for e in chosen) or self.elements.errors:
            self.elements.errors = ["Choose from the list of what the concern involves"]     # not WTForms' own words
            ok = False
        self.elements.data = chosen
        if self.contact_mode.data == "confidential" and not (self.contact.data or "").strip():
            self.contact.errors = list(self.contact.errors) + [
                "Enter your name and how the guardian can contact you, or choose to stay anonymous"]
            ok = False
        address = (self.notify_address.data or "").strip()
        if address and self.contact_mode.data == "confidential" and not self.notify_address.errors \
                and not is_email_address(address):
            self.notify_address.errors = list(self.notify_address.errors) + [
                "Enter an e-mail address like name@example.com, or leave it empty"]
            ok = False
        return ok


class SavedKeyForm(FlaskForm):
    saved = BooleanField("I have saved my reference and access key somewhere safe",
                         validators=[DataRequired("Tick the box to confirm you have saved your reference and access key")])


class FollowupForm(FlaskForm):
    reference = StringField("Case reference", validators=[DataRequired("Enter your case reference"), Length(max=40)])
    key = StringField("Access key", validators=[DataRequired("Enter your access key"), Length(max=80)])


class MessageForm(FlaskForm):
    body = TextAreaField("Reply to the guardian or add information",
                         validators=[DataRequired("Enter your message"),
                                     Length(max=MAX_TEXT, message=f"Your message must be {MAX_TEXT} characters or fewer")])


class WithdrawForm(FlaskForm):
    confirm = BooleanField("I want to withdraw my concern and erase what I wrote",
                           validators=[DataRequired("Tick the box to confirm you want to withdraw your concern")])


class FeedbackForm(FlaskForm):
    answer = RadioField("Given your experience, would you speak up again?", choices=list(FEEDBACK_ANSWERS.items()),
                        validators=[InputRequired("Choose whether you would speak up again")])
    comment = TextAreaField("Anything you want to add (optional)", validators=[Optional(), Length(max=MAX_TEXT)])


class LeaveForm(FlaskForm):
    """Signing out of a case: CSRF only."""

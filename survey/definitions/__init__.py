"""Survey definitions: versioned data (YAML), validated on load into the types of `model`."""
from survey.definitions.model import (  # noqa: F401
    Option, Question, QuestionType, Routing, Section, SurveyDefinition,
)

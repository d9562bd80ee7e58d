"""Survey definitions: versioned data (YAML), validated on load into the types of `model`."""
from survey.definitions.model import (  # noqa: F401
    Option, Question, QuestionType, Routing, Section, SurveyDefinition,
)
from survey.definitions.yamlfile import DefinitionError  # noqa: F401,E402
from survey.definitions.loader import (  # noqa: F401,E402
    available_surveys, find_survey, load_bank, load_definition,
)

"""The rule-based planner (the embedded default): Korean and English text → Plan | Clarify.

One job per module: normalize (clean-up, particles split off), lang, numbers, entities (values),
vocabulary (intent lexicon) and signals (scoring it), choice (which command), names and glossary
(which app), arguments (command values), messages (questions), parser (putting it together).
"""

from klepaas.llm.rules.parser import RULES_THRESHOLD, Reading, RulesConfig, RulesParser

__all__ = ["RULES_THRESHOLD", "Reading", "RulesConfig", "RulesParser"]

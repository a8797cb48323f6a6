"""Keys the Serverless Workflow 0.8 specification (and SonataFlow) define.

Anything else is reported as a warning: real projects carry extra metadata.
"""

WORKFLOW = frozenset(
    {
        "id", "key", "name", "description", "version", "annotations", "dataInputSchema",
        "dataOutputSchema", "secrets", "constants", "start", "specVersion", "expressionLang",
        "timeouts", "errors", "keepActive", "metadata", "events", "functions", "autoRetries",
        "retries", "auth", "states", "extensions",
    }
)  # fmt: skip

STATE_COMMON = frozenset(
    {
        "name", "type", "transition", "end", "onErrors", "stateDataFilter", "compensatedBy",
        "usedForCompensation", "metadata", "timeouts", "id",
    }
)  # fmt: skip

STATE_BY_TYPE = {
    "operation": frozenset({"actionMode", "actions"}),
    "switch": frozenset({"dataConditions", "eventConditions", "defaultCondition"}),
    "event": frozenset({"exclusive", "onEvents"}),
    "callback": frozenset({"action", "eventRef", "eventDataFilter"}),
    "sleep": frozenset({"duration"}),
    "inject": frozenset({"data"}),
    "parallel": frozenset({"branches", "completionType", "numCompleted"}),
    "foreach": frozenset(
        {"inputCollection", "outputCollection", "iterationParam", "batchSize", "actions", "mode"}
    ),
}

FUNCTION = frozenset({"name", "operation", "type", "authRef", "metadata"})
EVENT = frozenset({"name", "source", "type", "kind", "correlation", "dataOnly", "metadata"})
ACTION = frozenset(
    {
        "id", "name", "functionRef", "eventRef", "subFlowRef", "retryRef", "nonRetryableErrors",
        "retryableErrors", "actionDataFilter", "sleep", "condition",
    }
)  # fmt: skip

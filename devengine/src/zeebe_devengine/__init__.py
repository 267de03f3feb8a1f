"""The dev engine: an in-memory Zeebe gateway double, over real gRPC, for tests and the demo.

A test and demo tool. It lets the workers be tested through the real client (pyzeebe) and
the real wire protocol, and lets the offline demo run with nothing installed; production
runs on a real Camunda 8 cluster. State lives in memory and is gone when it stops.

Start it with ``canary dev-engine`` (gRPC on 26500, REST on 8080), with
``async with DevEngine(port=0, rest_port=0) as dev:`` in the caller's event loop, or in tests
with the fixtures of `zeebe_devengine.pytest_plugin` (``zeebe_target``, ``zeebe_channel``,
``zeebe_client``), which target a real cluster instead when ``ZEEBE_ADDRESS`` is set.

gRPC (``gateway_protocol.Gateway``, pyzeebe's stubs; standard health service SERVING):
    Topology (one broker, one partition), DeployResource (BPMN, atomic, a new version per
    changed process), CreateProcessInstance (by key or id and version, start instructions),
    CreateProcessInstanceWithResult, CancelProcessInstance, ActivateJobs (long polling:
    requestTimeout 0 = 10 s, negative = answer at once), StreamActivatedJobs, CompleteJob,
    FailJob (retries, retryBackOff, variables; retries <= 0 -> incident JOB_NO_RETRIES),
    ThrowError (boundary by error code, else catch-all, else incident UNHANDLED_ERROR_EVENT),
    UpdateJobRetries, UpdateJobTimeout, ResolveIncident, SetVariables, PublishMessage
    (message start events), EvaluateDecision (by id or key; DMN deploys with DeployResource).
    Other calls answer UNIMPLEMENTED. Status codes as Zeebe's:
    INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, DEADLINE_EXCEEDED.

BPMN subset (anything else with behaviour is refused at deploy time, naming the element):
    none and message start events; service tasks (``zeebe:taskDefinition`` type and
    retries, ``zeebe:taskHeaders``, ``zeebe:ioMapping``); exclusive gateways (conditions in
    order, ``default`` flow, converging) and parallel gateways (fork, join); none and error
    end events; interrupting error boundary events (by code, or catch-all); timer
    intermediate catch events and timer boundary events (interrupting or not) with ISO-8601
    ``timeDuration``. Diagrams, documentation, lanes and modeler attributes are ignored.

FEEL (`feel`): the expression language and the built-in functions Camunda 8.9 documents,
with feel-scala's null semantics; unary tests for DMN (devengine/docs/feel.md).

REST v2 subset (`rest_api`), with Camunda's JSON shapes and string keys: topology,
process-definition search/get/xml, element-instance statistics per definition,
process-instance search (with variable filters)/get, incident search/get.

Keys look like a fresh broker's (2251799813685249 upward). Finished instances beyond a cap
(``retained_finished``, default 10 000) are pruned from memory; their element statistics are
kept as counters (`history`). Jobs time out and return with retries unchanged; delivery is
at-least-once, as with Zeebe.
"""

from zeebe_devengine.server import DevEngine
from zeebe_devengine.version import __version__

__all__ = ["DevEngine", "__version__"]

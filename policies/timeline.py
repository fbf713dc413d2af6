"""Which of a worker's audited events each role sees on the worker's timeline.

The timeline is read from the audit log (identifiers only, never personal data), so what
differs per role is which kinds of event: HR of the worker's unit keeps the records and sees
everything, as does the province's inspector, who reads the same entries in the audit log;
the police see what bears on vetting; a dispatcher what bears on eligibility and assignments.
An action ending in "." stands for every action under it.
"""

from __future__ import annotations

from policies.access import DISPATCHER, INSPECTOR, POLICE_LEAD, POLICE_OFFICER, POST_HR

#: Vetting: who the worker is and where they live, the requests, decisions and clearances,
#: and the incidents that suspend them. Not who read the dossier, training or assignments.
VETTING = ("worker.create", "worker.update", "worker.leave", "request.", "attestation.",
           "clearance.", "incident.")
#: Eligibility: the facts a dispatcher's check rests on, and the assignments.
ELIGIBILITY = ("worker.create", "worker.update", "worker.training", "worker.commitment",
               "worker.leave", "attestation.", "clearance.", "assignment.")

#: role -> the actions it sees (None: every one). A role missing here sees no timeline.
TIMELINE: dict[str, tuple[str, ...] | None] = {
    POST_HR: None,
    INSPECTOR: None,
    POLICE_OFFICER: VETTING,
    POLICE_LEAD: VETTING,
    DISPATCHER: ELIGIBILITY,
}
#: Roles shown who acted (the account id): the inspector, who reads it in the audit log.
SEES_ACTOR_IDS = frozenset({INSPECTOR})


"""Banners after a form worked: the handler redirects to `path?notice=<code>` and the layout
shows the code's text (a fixed list, so a link cannot make the page say anything else)."""

from __future__ import annotations

from api.i18n.codes import N_

NOTICES: dict[str, str] = {
    "signed_out": N_("You have signed out."),
    "password_changed": N_("Your password has been changed. Every other session has ended."),
    "mfa_enrolled": N_("The authenticator app is set up. Sign-ins now ask for its code."),
    "notifications_read": N_("The notification is marked as read."),
    # Dispatcher pages.
    "route_created": N_("The route has been created."),
    "route_updated": N_("The route has been changed."),
    "route_activated": N_("The route is active again."),
    "route_deactivated": N_("The route is inactive: nobody can be assigned to it."),
    "assigned": N_("The worker has been assigned to the route."),
    "assignment_ended": N_("The assignment has ended."),
    # Account pages.
    "account_changed": N_("The account has been changed; its sessions have ended."),
    # vetting requests, clearances and incidents (police and HR)
    "request_claim": N_("You have claimed the request: it is yours to review."),
    "request_return": N_("The request has been returned to HR with your note."),
    "request_resubmit": N_("The request has been sent to the police again."),
    "request_transfer": N_("The request has been transferred to the other police unit."),
    "request_propose": N_("Your proposed outcome now waits for another police lead's "
                          "approval."),
    "request_approve": N_("The decision is approved and its attestation signed."),
    "request_withdraw": N_("The request has been withdrawn."),
    "clearance_suspend": N_("The clearance is suspended."),
    "clearance_reinstate": N_("The clearance is reinstated."),
    "clearance_revoke": N_("The clearance is revoked."),
    "incident_conclude": N_("The review is concluded."),
    # Post HR's worker pages
    "worker_registered": N_("The worker has been registered."),
    "batch_submitted": N_("The nominations have been sent, each to its police unit."),
    "workers_imported": N_("The file has been imported: every worker in it is registered."),
    "records_imported": N_("The file has been imported: every record in it is kept."),
    "worker_corrected": N_("The correction has been saved."),
    "nothing_changed": N_("Nothing to save: every field was as before."),
    "training_recorded": N_("The training has been recorded."),
    "commitment_recorded": N_("The signed commitment has been recorded; the scan itself "
                              "was not kept, only its SHA-256 fingerprint."),
    "request_submitted": N_("The vetting request has been sent to the police unit."),
    "worker_left": N_("Leaving is recorded: the clearance is revoked and open requests are "
                      "withdrawn."),
    "incident_reported": N_("The incident is reported and the police unit told."),
}


def notice_text(code: str | None) -> str | None:
    """The English msgid of a known notice code."""
    return NOTICES.get(code or "")

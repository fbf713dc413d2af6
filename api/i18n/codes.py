"""The English text of every code a user can meet (the gettext msgids); Vietnamese lives in
the catalogue. Placeholders in braces are filled from the error's own parameters."""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a msgid for extraction; translated later, when the language is known."""
    return text


#: Problem codes (API errors and page error summaries) and eligibility reasons.
MESSAGES: dict[str, str] = {
    # Generic answers of the HTTP layer.
    "BAD_REQUEST": N_("The request could not be read."),
    "UNAUTHENTICATED": N_("Sign in to continue."),
    "INVALID_TOKEN": N_("The access token is not valid; sign in again."),
    "TOKEN_REQUIRED": N_("An access token is required."),
    "FORBIDDEN": N_("Your role may not do this."),
    "NOT_FOUND": N_("Nothing was found here, or it is outside your scope."),
    "METHOD_NOT_ALLOWED": N_("This action is not available here."),
    "CONFLICT": N_("The request conflicts with the records as they are now."),
    "PAYLOAD_TOO_LARGE": N_("The request is too large."),
    "UNSUPPORTED_MEDIA_TYPE": N_("Send the request as JSON (application/json)."),
    "INVALID_INPUT": N_("{field}: the value is not acceptable."),
    "TOO_MANY_REQUESTS": N_("Too many attempts; wait {retry_after} seconds and try again."),
    "UNAVAILABLE": N_("The registry is temporarily unavailable."),
    "INTERNAL_ERROR": N_("The registry could not complete the request."),
    "DOMAIN_ERROR": N_("The request could not be completed."),
    "VALIDATION_FAILED": N_("Some of the information is not valid: {fields}."),
    "DATABASE_UNAVAILABLE": N_("The database is not reachable."),
    "MIGRATIONS_PENDING": N_("The database schema is not at the latest version."),
    "JSON_TOO_DEEP": N_("The JSON body is nested too deeply."),
    # Accounts and sign-in.
    "WRONG_PASSWORD": N_("The username or password is wrong."),
    "INVALID_CREDENTIALS": N_("The username, password or one-time code is wrong."),
    "INVALID_OTP": N_("The one-time code is wrong."),
    "INVALID_REFRESH_TOKEN": N_("The sign-in has expired; sign in again."),
    "OTP_ALREADY_USED": N_("This code was already used; wait for the next one."),
    "ACCOUNT_SETUP_REQUIRED": N_("Change your password and set up the authenticator first."),
    "MFA_ALREADY_ENROLLED": N_("The authenticator is already set up for this account."),
    "MFA_NOT_PENDING": N_("No authenticator set-up is waiting to be confirmed."),
    "PASSWORD_REUSED": N_("Choose a password different from the current one."),
    "PASSWORD_TOO_SHORT": N_("The password must be at least {minimum} characters long."),
    "PASSWORD_TOO_LONG": N_("The password must be at most {maximum} characters long."),
    "PASSWORD_COMMON": N_("This password is too common and easily guessed; choose another."),
    "PASSWORD_CONTEXT": N_("The password must not contain the username, the service name "
                           "or related words."),
    "PASSWORD_REPETITIVE": N_("The password must not be a single repeated character."),
    "USERNAME_TAKEN": N_("This username is already taken."),
    "SELF_LOCKOUT": N_("You cannot disable or demote your own account."),
    "PROVINCE_REQUIRED": N_("This role needs a province."),
    "PROVINCE_NOT_ALLOWED": N_("This role has no province."),
    "PROVINCE_MISMATCH": N_("The unit belongs to another province."),
    "UNIT_REQUIRED": N_("This role needs a unit."),
    "UNIT_NOT_ALLOWED": N_("This role has no unit."),
    "WRONG_UNIT_KIND": N_("This role needs a unit of another kind (post or police)."),
    "VERSION_MISMATCH": N_("The record changed meanwhile; reload it and try again."),
    # Versions and idempotency.
    "STALE_VERSION": N_("The record changed meanwhile (now version {current_version}); "
                        "reload it and try again."),
    "INVALID_IF_MATCH": N_("If-Match must be the version in quotes, for example \"3\"."),
    "INVALID_IDEMPOTENCY_KEY": N_("The Idempotency-Key must be 1 to 255 visible characters."),
    "IDEMPOTENCY_KEY_REUSED": N_("This Idempotency-Key was used for a different request."),
    "IDEMPOTENCY_IN_PROGRESS": N_("A request with this Idempotency-Key is still running."),
    # Workers and their records.
    "OUT_OF_SCOPE": N_("{field}: this is outside your unit or province."),
    "UNKNOWN_PROVINCE": N_("{field}: there is no such province."),
    "UNKNOWN_UNIT": N_("{field}: there is no such unit of the right kind."),
    "UNKNOWN_ROUTE": N_("{field}: there is no such route in your province."),
    "AGE_OUT_OF_RANGE": N_("A worker must be {minimum} to {maximum} years old."),
    "CCCD_FORMAT": N_("The CCCD number must be exactly 12 digits."),
    "CCCD_PROVINCE": N_("The first three digits of the CCCD number are not a province code."),
    "CCCD_SEX_CENTURY": N_("The fourth digit of the CCCD number does not match the sex and "
                           "century of birth."),
    "CCCD_BIRTH_YEAR": N_("Digits 5–6 of the CCCD number do not match the year of birth."),
    "DUPLICATE_NATIONAL_ID": N_("A worker with this CCCD number is already registered."),
    "DUPLICATE_EMPLOYEE_NO": N_("This employee number is already used in the unit."),
    "DUPLICATE_WORKER": N_("A worker with this CCCD number or employee number exists."),
    "INVALID_STAGES": N_("Choose one or more stages: acceptance, processing, transport, "
                         "delivery."),
    "EMPLOYMENT_ENDED": N_("The worker's employment has ended."),
    "DATE_IN_FUTURE": N_("{field}: the date cannot be in the future."),
    "DATE_TOO_EARLY": N_("{field}: the date is too early."),
    "DATE_ORDER": N_("{field}: the date must come after the start."),
    "DATE_OUT_OF_RANGE": N_("{field}: the date is outside the allowed range."),
    "INVALID_DIGEST": N_("{field}: must be 64 lowercase hexadecimal characters (SHA-256)."),
    "EMPTY_CHANGE": N_("Nothing to change was given."),
    "TRAINING_VALIDITY_EXCEEDS_POLICY": N_("{field}: a training is valid for at most {months} "
                                           "months, so until {latest} at the latest."),
    "YEAR_OUT_OF_RANGE": N_("{field}: the year must be between {low} and {high}."),
    "RETENTION_PERIOD": N_("Records are kept until {keep_until}; nothing is deleted before."),
    "ARCHIVE_ONLY": N_("Records past their retention period are archived, never deleted."),
    # Vetting requests and clearances.
    "OPEN_REQUEST_EXISTS": N_("The worker already has an open vetting request."),
    "REVERIFICATION_TOO_EARLY": N_("The current clearance holds until {until}; a new request "
                                   "can be made from {opens_on}."),
    "NO_POLICE_UNIT": N_("There is no police unit to route this request to."),
    "INVALID_TRANSITION": N_("This cannot be done while it is {current_state}."),
    "INVALID_OUTCOME": N_("{field}: the outcome must be meets_standard or does_not_meet."),
    "SAME_UNIT": N_("The request is already with that police unit."),
    "TWO_PERSON_RULE": N_("The officer who proposed an outcome cannot approve it."),
    "STATUS_LIST_FULL": N_("The status list is full; an operator must add a new list."),
    "ALREADY_CONCLUDED": N_("This review has already been concluded."),
    "INCIDENT_REVIEW_OPEN": N_("An incident review holds this clearance; concluding the review "
                               "lifts the suspension."),
    "ALREADY_ENDED": N_("The assignment has already ended."),
    "ASSIGNMENT_OVERLAP": N_("The worker already holds an overlapping assignment on this "
                             "route."),
    "DUPLICATE_ROUTE": N_("A route with this code already exists in the province."),
    "NOT_ELIGIBLE": N_("The worker is not eligible for this route."),
    # Reports and audit.
    "INVALID_PERIOD": N_("{field}: write the period as H1-2026, H2-2026 or Y-2026."),
    "PERIOD_REQUIRED": N_("Give a period, or both from and to."),
    "OUT_OF_RANGE": N_("{field}: the number is outside the allowed range."),
    # Eligibility reasons (the contract's reason codes).
    "UNKNOWN_WORKER": N_("Unknown worker."),
    "NO_CLEARANCE": N_("No political-standard clearance."),
    "CLEARANCE_PENDING": N_("A vetting request is still with the police."),
    "NOT_CLEARED": N_("Did not meet the political standard."),
    "CLEARANCE_EXPIRED": N_("The clearance has expired."),
    "CLEARANCE_SUSPENDED": N_("The clearance is suspended."),
    "CLEARANCE_REVOKED": N_("The clearance has been revoked."),
    "ATTESTATION_INVALID": N_("The signed attestation does not verify."),
    "TRAINING_MISSING": N_("Required KT1 training is missing."),
    "TRAINING_EXPIRED": N_("Required KT1 training has expired."),
    "COMMITMENT_MISSING": N_("No signed commitment to protect state secrets."),
    "WINDOW_EXCEEDS_CLEARANCE": N_("The assignment window extends beyond the clearance."),
    "WINDOW_EXCEEDS_TRAINING": N_("The assignment window extends beyond a required training's "
                                  "validity."),
    "STAGE_NOT_CLEARED": N_("The route's stage is not among the stages the clearance covers."),
    "ROUTE_INACTIVE": N_("The KT1 route is not active."),
    # Worker corrections (PATCH /workers/{id}).
    "PRECONDITION_REQUIRED": N_("Say which version you are changing (If-Match)."),
    "IF_MATCH_REQUIRED": N_("Send If-Match with the version you read, for example \"3\" (the "
                            "ETag of the worker), so that no one else's change is overwritten."),
    "PATCH_MEDIA_TYPE": N_("Send the changes as a JSON merge patch "
                           "(application/merge-patch+json) or as application/json."),
    "NATIONAL_ID_NOT_CORRECTABLE": N_("The CCCD number cannot be changed once registered: a "
                                      "wrong number needs a new registration."),
    "POST_UNIT_NOT_CORRECTABLE": N_("The post unit cannot be changed by a correction."),
    "FIELD_REQUIRED": N_("{field}: this is required and cannot be removed."),
}

#: Why a clearance changed state (the reasons the registry itself writes).
CLEARANCE_CAUSES: dict[str, str] = {
    "incident_review": N_("Suspended pending the review of an incident."),
    "employment_ended": N_("Revoked: the worker's employment ended."),
    "superseded": N_("Replaced by a newer clearance."),
}

#: In-app notifications, by event kind.
NOTIFICATIONS: dict[str, str] = {
    "request.routed": N_("A vetting request was routed to your unit."),
    "request.returned": N_("The police asked for more information."),
    "request.decided": N_("The vetting request was decided."),
    "clearance.suspended": N_("A clearance was suspended."),
    "clearance.revoked": N_("A clearance was revoked."),
    "clearance.expiring": N_("A clearance expires soon: re-verification is due."),
    "assignment.blocked": N_("A KT1 route assignment is blocked."),
    "incident.reported": N_("An incident was reported."),
}

#: What each field is called on forms and in error messages.
FIELDS: dict[str, str] = {
    "body": N_("The request"),
    "employee_no": N_("Employee number"),
    "full_name": N_("Full name"),
    "date_of_birth": N_("Date of birth"),
    "sex": N_("Sex"),
    "national_id": N_("CCCD number"),
    "hometown": N_("Hometown"),
    "permanent_address": N_("Permanent address"),
    "permanent_province": N_("Province of permanent residence"),
    "current_address": N_("Current address"),
    "post_unit": N_("Post unit"),
    "police_unit": N_("Police unit"),
    "stages": N_("Stages"),
    "stage": N_("Stage"),
    "kind": N_("Kind"),
    "completed_on": N_("Completed on"),
    "valid_until": N_("Valid until"),
    "signed_on": N_("Signed on"),
    "document_sha256": N_("Document fingerprint (SHA-256)"),
    "left_on": N_("Left on"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "outcome": N_("Outcome"),
    "worker_id": N_("Worker"),
    "worker_ids": N_("Workers"),
    "route_id": N_("Route"),
    "starts_at": N_("Starts at"),
    "ends_at": N_("Ends at"),
    "at": N_("Time"),
    "occurred_at": N_("Occurred at"),
    "description": N_("Description"),
    "username": N_("Username"),
    "password": N_("Password"),
    "new_password": N_("New password"),
    "current_password": N_("Current password"),
    "otp": N_("One-time code"),
    "role": N_("Role"),
    "province": N_("Province"),
    "unit": N_("Unit"),
    "code": N_("Code"),
    "name": N_("Name"),
    "service_classes": N_("Service classes"),
    "max_secrecy": N_("Highest secrecy level"),
    "period": N_("Period"),
    "from": N_("From"),
    "to": N_("To"),
    "limit": N_("Page size"),
    "offset": N_("Offset"),
    "index": N_("Index"),
    "size": N_("Size"),
    "first": N_("First size"),
    "second": N_("Second size"),
    "jws": N_("Attestation"),
    "refresh_token": N_("Refresh token"),
    "If-Match": N_("If-Match header"),
    "Idempotency-Key": N_("Idempotency-Key header"),
}

#: The rules a value can break before it reaches the domain (parsing and constraints).
RULES: dict[str, str] = {
    "required": N_("{field}: this is required."),
    "unknown_field": N_("{field}: this field is not known."),
    "wrong_type": N_("{field}: the value has the wrong type."),
    "format": N_("{field}: the value is not in the expected format."),
    "too_short": N_("{field}: must be at least {limit} characters."),
    "too_long": N_("{field}: must be at most {limit} characters."),
    "too_few": N_("{field}: choose at least {limit}."),
    "too_many": N_("{field}: give at most {limit}."),
    "too_small": N_("{field}: must be at least {limit}."),
    "too_large": N_("{field}: must be at most {limit}."),
    "not_allowed": N_("{field}: the value is not one of those allowed."),
    "blank": N_("{field}: must not be blank."),
    "control_character": N_("{field}: must not contain control characters."),
    "date": N_("{field}: write the date as YYYY-MM-DD."),
    "datetime": N_("{field}: write the time in RFC 3339 with an offset, for example "
                   "2026-07-01T08:00:00Z."),
    "integer": N_("{field}: must be a whole number written in digits."),
    "boolean": N_("{field}: must be true or false."),
    "json": N_("The body is not valid JSON."),
    "year_out_of_range": N_("{field}: the year must be between {low} and {high}."),
    "national_id_format": N_("{field}: must be exactly 12 digits."),
    "employee_no_format": N_("{field}: letters, digits and . _ / - only, at most 32."),
    "unit_format": N_("{field}: write a unit code such as POST-51."),
    "province_format": N_("{field}: write the two-digit province code, such as 51."),
    "sha256_format": N_("{field}: must be 64 lowercase hexadecimal characters (SHA-256)."),
}

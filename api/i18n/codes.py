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
    "INVALID_DATE": N_("{field}: this day does not exist; write day, month and year."),
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
    # Web pages.
    "CSRF_REFUSED": N_("The form has expired or did not come from this service; open the "
                       "page again and send it once more."),
    "PASSWORDS_DIFFER": N_("The two new passwords are not the same."),
    "MFA_QR_LABEL": N_("QR code to scan with the authenticator app"),
    "UNKNOWN_LANGUAGE": N_("This language is not available."),
    # Dispatcher pages.
    "UNKNOWN_EMPLOYEE_NO": N_("{field}: no worker of your unit has this employee number."),
    "TOO_MANY_WORKERS": N_("Check at most {maximum} workers at once."),
    "EMPLOYEE_NOS_MISSING": N_("{field}: write at least one employee number."),
    "SCAN_MISSING": N_("{field}: choose the scan of the signed commitment (a file of at most "
                       "{megabytes} MB)."),
    # The vocabularies as the pages name them (t("STAGE_TRANSPORT"), ...).
    "STAGE_ACCEPTANCE": N_("Acceptance"),
    "STAGE_PROCESSING": N_("Processing"),
    "STAGE_TRANSPORT": N_("Transport"),
    "STAGE_DELIVERY": N_("Delivery"),
    "SERVICE_STANDARD": N_("Standard"),
    "SERVICE_EXPRESS": N_("Express"),
    "SERVICE_SCHEDULED": N_("Scheduled"),
    "SECRECY_A": N_("A (Top secret)"),
    "SECRECY_B": N_("B (Secret)"),
    "SECRECY_C": N_("C (Confidential)"),
    # The public check of an attestation: each reason it can fail for, and the decision.
    "VERIFY_MALFORMED": N_("This is not a well-formed attestation token."),
    "VERIFY_BAD_ALG": N_("It is signed with an algorithm the registry does not use."),
    "VERIFY_BAD_TYP": N_("It is not an attestation (wrong token type)."),
    "VERIFY_UNKNOWN_KID": N_("It was not signed with any key the registry publishes."),
    "VERIFY_BAD_SIGNATURE": N_("The signature does not match: the token was altered or forged."),
    "VERIFY_EXPIRED": N_("Its validity has ended."),
    "VERIFY_NOT_YET_VALID": N_("It is not valid yet."),
    "VERIFY_ISSUER_MISMATCH": N_("The issuer named in it does not own the signing key."),
    "VERIFY_KEY_RETIRED": N_("It was signed after its key was retired."),
    "VERIFY_REVOKED": N_("It has been revoked."),
    "VERIFY_SUSPENDED": N_("It is suspended."),
    "VERIFY_STATUS_ENTRY_INVALID": N_("Its status entry cannot be read."),
    "VERIFY_BAD_AUDIENCE": N_("It is meant for another audience."),
    "VERIFY_BAD_ISSUER": N_("Its issuer is not a police unit the registry knows."),
    "VERIFY_BAD_KEY": N_("The key it names cannot be used."),
    "VERIFY_MISSING_CLAIM": N_("A part every attestation must carry is missing."),
    "OUTCOME_MEETS_STANDARD": N_("Meets the political standard"),
    "OUTCOME_DOES_NOT_MEET": N_("Does not meet the political standard"),
    "OUTCOME_UNKNOWN": N_("Unknown"),
    # The audit pages.
    "CHECKPOINT_UNREADABLE": N_("{field}: choose the checkpoint file saved from this page "
                                "(JSON)."),
    # Webhooks.
    "WEBHOOK_URL_INVALID": N_("{field}: give an absolute http or https URL without a user "
                              "name, password or fragment."),
    "WEBHOOK_HTTPS_REQUIRED": N_("{field}: use https; plain http is only for hosts the "
                                 "operator listed in KT1_WEBHOOK_ALLOWED_HOSTS."),
    "WEBHOOK_ADDRESS_REFUSED": N_("{field}: the host is on a private, loopback or reserved "
                                  "address; only hosts listed in KT1_WEBHOOK_ALLOWED_HOSTS "
                                  "may be."),
    "WEBHOOK_HOST_UNRESOLVED": N_("{field}: the host name could not be resolved."),
    "WEBHOOK_ONE_SCOPE": N_("Give a province or a unit for the subscription, not both."),
    "UNKNOWN_EVENT_TYPE": N_("{field}: choose event types the registry publishes."),
    "SUBSCRIPTION_DISABLED": N_("The webhook subscription is disabled; enable it first."),
    # Spreadsheet imports and batch nomination.
    "IMPORT_UNREADABLE": N_("The file cannot be read as a CSV file (UTF-8) or an Excel "
                            "workbook (.xlsx)."),
    "IMPORT_NOT_UTF8": N_("Save the CSV file as UTF-8 (in Excel: CSV UTF-8)."),
    "IMPORT_EMPTY": N_("The file has no rows below its header row."),
    "IMPORT_TOO_MANY_ROWS": N_("The file has more than {limit} rows; split it into several "
                               "files."),
    "IMPORT_MEDIA_TYPE": N_("Send the file as multipart/form-data (field \"file\"), as text/csv "
                            "or as an Excel workbook (.xlsx)."),
    "IMPORT_REFUSED": N_("The file has {count} problems; nothing was imported."),
    "UNKNOWN_COLUMN": N_("{field}: this column is not in the template."),
    "DUPLICATE_COLUMN": N_("{field}: this column appears twice."),
    "MISSING_COLUMN": N_("{field}: this column is missing."),
    "VALUE_WITHOUT_COLUMN": N_("A value stands in a column without a header."),
    "DUPLICATE_IN_FILE": N_("{field}: the same value is already in row {first_row}."),
    "DUPLICATE_IN_BATCH": N_("This worker is already listed at position {first_index}."),
    "BATCH_SELECTION": N_("Tick at least one worker in the list to nominate (at most "
                          "{limit} at once)."),
    "BATCH_REFUSED": N_("{count} of the workers cannot be nominated; nothing was submitted."),
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
    "document": N_("Scan of the signed commitment"),
    "left_on": N_("Left on"),
    "reason": N_("Reason"),
    "note": N_("Note"),
    "outcome": N_("Outcome"),
    "worker_id": N_("Worker"),
    "worker_ids": N_("Workers"),
    "employee_nos": N_("Employee numbers"),
    "checkpoint": N_("Saved checkpoint"),
    "period_kind": N_("Period"),
    "year": N_("Year"),
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
    # Webhooks.
    "url": N_("Address (URL)"),
    "event_types": N_("Event types"),
    "subscription_id": N_("Webhook subscription"),
    "event_id": N_("Event"),
    # spreadsheet imports
    "file": N_("File"),
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
    # spreadsheet imports
    "sheet_date": N_("{field}: write the date as DD/MM/YYYY or YYYY-MM-DD."),
}

#: The words HR may type in a spreadsheet for a code (either language, or the code itself).
VALUES: dict[str, str] = {
    "male": N_("Male"),
    "female": N_("Female"),
    "acceptance": N_("Acceptance"),
    "processing": N_("Processing"),
    "transport": N_("Transport"),
    "delivery": N_("Delivery"),
    "postal_operations": N_("Postal operations"),
    "kt1_security": N_("KT1 safety and security"),
}

#: The texts of the import templates: sheet names (at most 31 characters) and instructions.
SPREADSHEET: dict[str, str] = {
    "sheet.workers": N_("Workers"),
    "sheet.trainings": N_("Trainings"),
    "sheet.commitments": N_("Commitments"),
    "sheet.instructions": N_("Instructions"),
    "heading.column": N_("Column"),
    "heading.required": N_("Required"),
    "heading.how": N_("What to write"),
    "required.yes": N_("Yes"),
    "required.no": N_("No"),
    "hint.text": N_("Text."),
    "hint.code": N_("Letters, digits and . _ / - only, at most 32."),
    "hint.national_id": N_("12 digits. Keep the column as text so the leading 0 stays."),
    "hint.province": N_("The two-digit province code, for example 51."),
    "hint.unit": N_("A post unit code such as POST-51; left out or empty: your own unit."),
    "hint.date": N_("A date: DD/MM/YYYY."),
    "hint.word": N_("One of: {values}."),
    "hint.words": N_("One or more of: {values}, separated by commas."),
    "hint.digest": N_("The SHA-256 of the signed document: 64 hexadecimal characters."),
}


#: What each role is called on the pages.
ROLE_NAMES: dict[str, str] = {
    "admin": N_("Administrator"),
    "post_hr": N_("Post HR"),
    "police_officer": N_("Police officer"),
    "police_lead": N_("Police lead"),
    "dispatcher": N_("Dispatcher"),
    "inspector": N_("Inspector"),
}

#: What each audited action is called on a worker's timeline.
AUDIT_ACTIONS: dict[str, str] = {
    "worker.create": N_("Registered"),
    "worker.update": N_("Registration corrected"),
    "worker.training": N_("Training recorded"),
    "worker.commitment": N_("Commitment recorded"),
    "worker.leave": N_("Left the post"),
    "worker.dossier_read": N_("Dossier read"),
    "worker.search_national_id": N_("Looked up by CCCD number"),
    "worker.delete_refused": N_("Deletion refused (records are kept)"),
    "request.submit": N_("Vetting request submitted"),
    "request.batch_submit": N_("Nominated with others in one batch"),
    "request.claim": N_("Request taken up by the police"),
    "request.return": N_("More information requested"),
    "request.resubmit": N_("Request resubmitted"),
    "request.transfer": N_("Request transferred to another police unit"),
    "request.propose": N_("Outcome proposed"),
    "request.approve": N_("Outcome approved"),
    "request.withdraw": N_("Request withdrawn"),
    "attestation.issue": N_("Attestation signed"),
    "clearance.suspend": N_("Clearance suspended"),
    "clearance.reinstate": N_("Clearance reinstated"),
    "clearance.revoke": N_("Clearance revoked"),
    "clearance.supersede": N_("Clearance replaced by a newer one"),
    "assignment.create": N_("Assigned to a KT1 route"),
    "assignment.end": N_("Assignment ended"),
    "assignment.ended": N_("Assignment ended by the registry"),
    "assignment.blocked": N_("Assignment blocked"),
    "assignment.refuse": N_("Assignment refused (not eligible)"),
    "incident.report": N_("Incident reported"),
    "incident.conclude": N_("Incident review concluded"),
}

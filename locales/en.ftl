# dvorik — English messages. Every file in locales/ has exactly the same keys (a test checks it).
# Keys of core errors are `error-` + the error code in kebab case.

error-validation-failed = Something in what you sent is not right. Please check it and try again.
error-user-not-found = We could not find you. Please send /start.
error-store-not-found = This store does not exist or is closed.
error-store-name-taken = A store with this name already exists.
error-cashier-not-found = No such cashier.
error-cashier-already-registered = You are already registered as a cashier.
error-cashier-not-approved = Your cashier account is not approved.
error-cashier-not-pending = This cashier is not waiting for a decision.
error-admin-not-found = No such admin.
error-admin-already-exists = This person is already an admin.
error-login-token-invalid = This login link is unknown, already used or expired. Ask the staff bot for a new one with /token.
error-template-not-found = No such discount template.
error-no-active-template = There is no active discount of this kind right now.
error-discount-not-found = No discount has this code.
error-discount-code-malformed = This is not a discount code. A code has 10 letters and digits, like ABCDE-23456.
error-discount-already-redeemed = This code has already been used.
error-discount-expired = This code has expired.
error-discount-revoked = This code has been cancelled.
error-discount-already-issued = You already have this discount.
error-birthday-already-set = Your birthday is already set. To change it, please contact the shop.
error-setting-unknown = No such setting.
error-auth-required = Please sign in first.
error-token-malformed = Your session token is not valid. Please sign in again.
error-token-algorithm-invalid = Your session token is not valid. Please sign in again.
error-token-signature-invalid = Your session token is not valid. Please sign in again.
error-token-expired = Your session has expired. Please sign in again.
error-token-audience-invalid = Your session token is not valid. Please sign in again.
error-token-issuer-invalid = Your session token is not valid. Please sign in again.
error-token-type-invalid = Your session token is not valid. Please sign in again.
error-refresh-token-invalid = Your session has ended. Please sign in again.
error-refresh-token-reused = Your session was used twice and has been closed for safety. Please sign in again.
error-admin-inactive = Your admin account is switched off.
error-forbidden = Your role does not allow this.
error-admin-last-owner = At least one active owner must remain.
error-route-not-found = There is nothing at this address.
error-method-not-allowed = This address does not accept this kind of request.
error-malformed-json = The request is not valid JSON.
error-unsupported-media-type = The request must be sent as JSON.
error-payload-too-large = The request is too large.
error-rate-limited = Too many requests. Please wait a moment and try again.
error-idempotency-key-reused = This idempotency key was already used for a different request.
error-idempotency-key-in-progress = The same request is still being processed. Please try again shortly.
error-not-ready = The service is starting or busy. Please try again in a minute.
error-kv-unavailable = The service is busy. Please try again in a minute.
error-database-error = The service is busy. Please try again in a minute.
error-internal = Something went wrong on our side. Please try again later.

## Deals and signing: the document and the code message (documents are composed in Russian).
deal-document-title = Contract “{ $title }”
deal-document-body =
    Contract “{ $title }” (No. { $deal_id }, kind: { $kind })
    Counterparty: { $counterparty }
    Amount: { $amount } RUB
    Payment plan:
    { $plan }
    Split:
    { $splits }
    By signing this document with a one-time code, the counterparty accepts its terms.
deal-document-plan-step = — by { $due }: { $amount } RUB
deal-document-split = — { $party }: { $percent } %
deal-document-none = — none
signing-code-message = Code to sign “{ $title }”, version { $version }, hash { $hash }: { $code }. Valid for 10 minutes. Do not share it.

## Deals and signing errors.
error-deal-not-found = Deal not found.
error-deal-not-draft = Only a draft deal can be edited.
error-deal-state-conflict = The deal is in another state; this is not possible now.
error-document-not-found = Document not found.
error-signing-code-invalid = Wrong code. Check it and try again.
error-signing-code-expired = The code has expired. Ask for a new one.
error-signing-code-locked = Too many wrong attempts; the code is locked. Ask for a new one.
error-signing-code-used = This code was already used.
error-signing-document-outdated = The document changed after the code was sent. Read the new version and ask for a new code.
error-signing-too-many-codes = Too many codes requested. Wait 10 minutes.
error-signing-not-counterparty = This deal is not addressed to you.
error-contact-not-own = Please share your own contact.
error-blacklisted = This is not available. Please contact the shop.
error-blacklist-entry-not-found = Blacklist entry not found.
error-blacklist-entry-exists = This user or phone is already blacklisted.
error-code-delivery-failed = The code could not be delivered. Try again later.

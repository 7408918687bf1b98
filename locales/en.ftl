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
error-user-blocked = This account is blocked by the shop.
error-segment-not-found = No such segment.
error-message-template-not-found = No such message template.
error-message-template-name-taken = A message template with this name already exists.
error-discount-task-not-found = No such discount task.
error-setting-unknown = No such setting.
error-kv-unavailable = The service is busy. Please try again in a minute.
error-database-error = The service is busy. Please try again in a minute.
error-internal = Something went wrong on our side. Please try again later.

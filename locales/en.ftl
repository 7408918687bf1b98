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
error-broadcast-not-found = No such broadcast.
error-broadcast-not-draft = Only a draft broadcast can be changed.
error-broadcast-state-conflict = The broadcast cannot do this in its current state.
error-broadcast-test-send-failed = Telegram did not accept the test message.
error-bots-unavailable = The bots are switched off, so nothing can be sent now.
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
signing-record-title = Signing record “{ $title }”
signing-record-deal = Deal no. { $deal_id }: “{ $title }”, amount { $amount } RUB, state: { $state }
signing-record-document = Document: version { $version }, SHA-256 { $hash }
signing-record-no-document = Document: not rendered
signing-record-signed = Signed { $at } UTC: { $signer }, by a one-time code, Telegram ID { $telegram_id }, phone { $phone }
signing-record-unsigned = Not signed.
signing-record-chain-ok = The evidence chain is intact, events: { $events }.
signing-record-chain-broken = The evidence chain breaks at event no. { $seq }.
signing-record-events = Events:
signing-record-event = { $seq }. { $at } UTC, { $kind } ({ $actor }), hash { $hash }
signing-record-text = The document's text:

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
error-signing-velocity-exceeded = Too many code attempts this hour. Try again later.
error-redemption-velocity-exceeded = Too many redemptions this minute. Wait a moment and try again.
## Bot commands (the menu Telegram shows next to the input field)
cmd-start = Start and show the menu
cmd-subscribe = Subscribe to news
cmd-unsubscribe = Unsubscribe from news
cmd-birthday = Tell us your birthday
cmd-discounts = My discounts
cmd-help = Contacts, addresses and hours
cmd-language = Change language
cmd-cancel = Cancel the current step
cmd-documents = Documents to sign
cmd-token = Admin panel login token
cmd-stats = Today's figures
cmd-cashiers = Approved cashiers

## Client bot: main menu (reply keyboard)
menu-discounts = 🎁 My discounts
menu-subscribe = 🔔 Subscribe
menu-unsubscribe = 🔕 Unsubscribe
menu-birthday = 🎂 Birthday
menu-help = ℹ️ Help
menu-language = 🌐 Language
menu-documents = 📄 Documents

## Client bot
client-greeting = Hello, { $name }! I am the shop's bot: here you get discounts and news. Choose below what you need.
client-greeting-back = Welcome back, { $name }! Choose below what you need.
client-blocked = Sorry, this service is not available to you. If you think this is a mistake, please contact the shop.
client-not-understood = I did not understand that. Please use the menu below.
client-cancelled = Cancelled.
client-subscribed = You are subscribed to our news.
client-subscribed-welcome = You are subscribed to our news! Here is your welcome discount: { $value }, code { $code }, valid until { $expires }. Show the code or its QR at the till.
client-already-subscribed = You are already subscribed.
client-unsubscribed = You have unsubscribed from our news. Your discounts stay with you.
client-not-subscribed = You are not subscribed.
client-join-channel = To subscribe, please join our channel { $channel } first, then press "Check again".
client-channel-check-failed = We cannot check the channel right now. Please try again later.
button-check-again = Check again
button-open-channel = Open the channel
client-birthday-ask = Send your birthday as DD.MM or DD.MM.YYYY, for example 05.03 or 05.03.1990. /cancel to stop.
client-birthday-invalid-format = That does not look like a date. Please send it as DD.MM or DD.MM.YYYY, for example 05.03.
client-birthday-invalid-date = There is no such date. Please check the day and the month.
client-birthday-invalid-year = The year must be between 1900 and this year, and the date cannot be in the future.
client-birthday-saved = Thank you! Your birthday is { $date }. We will send you a present.
client-birthday-already = Your birthday is already set: { $date }. To change it, please contact the shop.
client-discounts-none = You have no active discounts yet.
client-discounts-header = { $count ->
        [one] You have { $count } active discount:
       *[other] You have { $count } active discounts:
    }
client-discount-line = { $code }: { $value }, valid until { $expires }
button-qr = QR { $code }
button-history = History
client-qr-caption = Code { $code }: { $value }, valid until { $expires }. Show it at the till.
client-history-empty = Your discount history is empty.
client-history-header = Your discounts:
client-history-line = { $code }: { $value }, issued { $date }, { $state }
state-active = active
state-redeemed = used
state-expired = expired
state-revoked = cancelled
client-help = Contacts: { $contacts }
    Addresses: { $addresses }
    Hours: { $hours }
client-help-unset = not given yet
language-name = English
client-language-ask = Choose your language:
client-language-set = The language is now English.
client-code-used = Your code { $code } was used at { $store }. Thank you for shopping with us!

## Client bot: documents to sign and the jobs' messages
client-doc-awaits = A document awaits your signature: “{ $title }”. Open it, read it and sign with a one-time code.
button-doc-open = 📄 Open the document
client-docs-none = No documents await your signature.
client-docs-header = { $count ->
        [one] { $count } document awaits your signature:
       *[other] { $count } documents await your signature:
    }
button-doc-line = { $title } (version { $version })
client-doc-header = Document “{ $title }”, version { $version }, hash { $hash }. The full text:
client-doc-pdf-caption = The same document as PDF.
client-doc-actions = Sign the document with a one-time code, or decline?
button-doc-sign = ✍️ Sign
button-doc-decline = Decline
client-doc-decline-ask = Why do you decline to sign?
decline-reason-terms = I do not agree with the terms
decline-reason-mistake = The document has a mistake
decline-reason-other = Another reason
client-doc-declined = You declined to sign “{ $title }”. Reason: { $reason }. We will tell the shop.
client-doc-share-contact = To sign, share your phone number: press the button below. Only your own contact is accepted. /cancel to stop.
button-share-contact = 📱 Share my number
client-doc-contact-expected = Press “Share my number” below, or send /cancel.
client-doc-code-sent = The code was sent in a separate message. Type it here (6 digits).
client-doc-code-expected = Type the 6-digit code, or send /cancel.
client-doc-code-wrong = { $left ->
        [one] Wrong code. { $left } attempt left.
       *[other] Wrong code. { $left } attempts left.
    }
client-doc-code-locked-now = Wrong code. No attempts left: the code is locked. Ask for a new one.
button-doc-new-code = 🔁 Get a new code
client-doc-signed = “{ $title }” is signed. Signature number: { $signature }, document hash: { $hash }. Thank you!
client-birthday-discount = Happy birthday! Your gift: a { $value } discount, code { $code }, valid until { $expires }.
client-expiry-reminder = A reminder: your { $value } discount (code { $code }) is valid until { $expires }. Use it in time!

## Staff bot
staff-welcome-admin = Hello! Admin commands: /token for the admin panel, /stats for today's figures, /cashiers for cashiers. Approval requests come here.
staff-ask-name = Hello! To work as a cashier, please register. What is your name?
staff-ask-store = { $name }, choose your store:
staff-no-stores = There are no stores yet. Please ask an admin to add one and try /start again.
staff-registered = Thank you! Your request for { $store } was sent. You will get a message when an admin decides.
staff-pending = Your request is waiting for an admin's decision.
staff-approved = Your cashier account is approved. Send a customer's code as text or a photo of its QR.
staff-rejected = Your cashier request was rejected. You can apply again with /start.
staff-revoked = Your cashier access was revoked. You can apply again with /start.
staff-cashier-ready = Send a customer's code as text or a photo of its QR.
staff-new-cashier = New cashier request: { $name }, store { $store }.
button-approve = ✅ Approve
button-reject = ❌ Reject
staff-decided-approved = Cashier { $name } ({ $store }) is approved.
staff-decided-rejected = Cashier { $name } ({ $store }) is rejected.
staff-cashiers-none = There are no approved cashiers.
staff-cashiers-header = Approved cashiers:
staff-cashier-line = { $name }, { $store }
button-revoke = Revoke { $name }
staff-cashier-revoked-done = Cashier { $name } can no longer redeem codes.
staff-code-card = Code { $code }
    Customer: { $name }
    Discount: { $value }
    Valid until: { $expires }
    State: { $state }
button-redeem = Redeem
button-redeem-amount = Redeem with receipt amount
staff-ask-amount = Send the receipt amount in roubles, for example 1250 or 1250.50. /cancel to stop.
staff-amount-invalid = That is not an amount. Send roubles, for example 1250 or 1250.50.
staff-redeemed = Redeemed: code { $code }, { $value }, at { $store }.
staff-qr-unreadable = I could not read a QR code in this photo. Please send a sharper photo or type the code.
staff-photo-failed = I could not get this photo from Telegram. Please send it again or type the code.
staff-token = Your admin panel login token (single use, valid 5 minutes):
    { $token }
staff-stats = Today, { $date }:
    Customers: { $users_total } (new today: { $users_new })
    Subscribed: { $subscribed_total } (today: { $subscribed_new })
    Discounts issued today: { $issued } (welcome { $welcome }, birthday { $birthday })
    Redeemed today: { $redeemed }
    Receipts today: { $receipts }
staff-not-admin = This command is for admins only.
staff-not-understood = I did not understand that. Cashiers send a code or a photo of its QR.
staff-cancelled = Cancelled.

# dvorik — сообщения на русском. У всех файлов в locales/ одинаковые ключи (это проверяет тест).
# Ключи ошибок ядра: `error-` + код ошибки через дефисы.

error-validation-failed = Что-то в отправленном не так. Проверьте и попробуйте ещё раз.
error-user-not-found = Мы вас не нашли. Отправьте /start.
error-store-not-found = Такого магазина нет или он закрыт.
error-store-name-taken = Магазин с таким названием уже есть.
error-cashier-not-found = Такого кассира нет.
error-cashier-already-registered = Вы уже зарегистрированы как кассир.
error-cashier-not-approved = Ваша учётная запись кассира не подтверждена.
error-cashier-not-pending = Этот кассир не ждёт решения.
error-admin-not-found = Такого администратора нет.
error-admin-already-exists = Этот человек уже администратор.
error-login-token-invalid = Эта ссылка для входа неизвестна, уже использована или устарела. Получите новую в боте персонала командой /token.
error-template-not-found = Такого шаблона скидки нет.
error-no-active-template = Сейчас нет действующей скидки этого вида.
error-discount-not-found = Скидки с таким кодом нет.
error-discount-code-malformed = Это не код скидки. Код — 10 букв и цифр, например ABCDE-23456.
error-discount-already-redeemed = Этот код уже использован.
error-discount-expired = Срок действия этого кода истёк.
error-discount-revoked = Этот код отменён.
error-discount-already-issued = Эта скидка у вас уже есть.
error-birthday-already-set = День рождения уже указан. Чтобы изменить его, обратитесь в магазин.
error-setting-unknown = Такой настройки нет.
error-auth-required = Сначала войдите в систему.
error-token-malformed = Ключ сеанса недействителен. Войдите заново.
error-token-algorithm-invalid = Ключ сеанса недействителен. Войдите заново.
error-token-signature-invalid = Ключ сеанса недействителен. Войдите заново.
error-token-expired = Сеанс истёк. Войдите заново.
error-token-audience-invalid = Ключ сеанса недействителен. Войдите заново.
error-token-issuer-invalid = Ключ сеанса недействителен. Войдите заново.
error-token-type-invalid = Ключ сеанса недействителен. Войдите заново.
error-refresh-token-invalid = Сеанс завершён. Войдите заново.
error-refresh-token-reused = Сеанс был использован дважды и закрыт ради безопасности. Войдите заново.
error-admin-inactive = Ваша учётная запись администратора отключена.
error-forbidden = Ваша роль не позволяет это сделать.
error-admin-last-owner = Должен остаться хотя бы один активный владелец.
error-route-not-found = По этому адресу ничего нет.
error-method-not-allowed = Этот адрес не принимает такой запрос.
error-malformed-json = Запрос не является корректным JSON.
error-unsupported-media-type = Запрос нужно отправить в формате JSON.
error-payload-too-large = Запрос слишком большой.
error-rate-limited = Слишком много запросов. Подождите немного и попробуйте снова.
error-idempotency-key-reused = Этот ключ идемпотентности уже использован для другого запроса.
error-idempotency-key-in-progress = Такой же запрос ещё обрабатывается. Попробуйте чуть позже.
error-not-ready = Сервис запускается или перегружен. Попробуйте через минуту.
error-kv-unavailable = Сервис занят. Попробуйте через минуту.
error-database-error = Сервис занят. Попробуйте через минуту.
error-internal = У нас что-то пошло не так. Попробуйте позже.

## Deals and signing: the document and the code message (composed by the core).
deal-document-title = Договор «{ $title }»
deal-document-body =
    Договор «{ $title }» (№ { $deal_id }, вид: { $kind })
    Контрагент: { $counterparty }
    Сумма: { $amount } руб.
    График платежей:
    { $plan }
    Распределение:
    { $splits }
    Подписывая этот документ одноразовым кодом, контрагент соглашается с его условиями.
deal-document-plan-step = — до { $due }: { $amount } руб.
deal-document-split = — { $party }: { $percent } %
deal-document-none = — нет
signing-code-message = Код для подписания документа «{ $title }», версия { $version }, хеш { $hash }: { $code }. Код действует 10 минут. Никому его не сообщайте.

## Deals and signing errors.
error-deal-not-found = Сделка не найдена.
error-deal-not-draft = Изменять можно только черновик сделки.
error-deal-state-conflict = Сделка сейчас в другом состоянии, это действие недоступно.
error-document-not-found = Документ не найден.
error-signing-code-invalid = Неверный код. Проверьте и введите ещё раз.
error-signing-code-expired = Срок действия кода истёк. Запросите новый код.
error-signing-code-locked = Слишком много неверных попыток, код заблокирован. Запросите новый код.
error-signing-code-used = Этот код уже использован.
error-signing-document-outdated = Документ изменился после отправки кода. Ознакомьтесь с новой версией и запросите новый код.
error-signing-too-many-codes = Слишком много запросов кода. Подождите 10 минут.
error-signing-not-counterparty = Эта сделка адресована не вам.
error-contact-not-own = Поделитесь, пожалуйста, своим собственным контактом.
error-blacklisted = Действие недоступно. Обратитесь в магазин.
error-blacklist-entry-not-found = Запись чёрного списка не найдена.
error-blacklist-entry-exists = Этот пользователь или телефон уже в чёрном списке.
error-code-delivery-failed = Не удалось отправить код. Попробуйте позже.

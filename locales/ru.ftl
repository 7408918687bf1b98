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
error-user-blocked = Этот аккаунт заблокирован магазином.
error-segment-not-found = Такого сегмента нет.
error-message-template-not-found = Такого шаблона сообщения нет.
error-message-template-name-taken = Шаблон сообщения с таким названием уже есть.
error-discount-task-not-found = Такой задачи выдачи скидок нет.
error-setting-unknown = Такой настройки нет.
error-kv-unavailable = Сервис занят. Попробуйте через минуту.
error-database-error = Сервис занят. Попробуйте через минуту.
error-internal = У нас что-то пошло не так. Попробуйте позже.

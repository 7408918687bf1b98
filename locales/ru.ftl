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
error-broadcast-not-found = Такой рассылки нет.
error-broadcast-not-draft = Изменить можно только черновик рассылки.
error-broadcast-state-conflict = В текущем состоянии рассылки это сделать нельзя.
error-broadcast-test-send-failed = Telegram не принял тестовое сообщение.
error-bots-unavailable = Боты выключены, поэтому отправить сообщение сейчас нельзя.
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
signing-record-title = Протокол подписания «{ $title }»
signing-record-deal = Сделка № { $deal_id }: «{ $title }», сумма { $amount } руб., состояние: { $state }
signing-record-document = Документ: версия { $version }, SHA-256 { $hash }
signing-record-no-document = Документ: не сформирован
signing-record-signed = Подписано { $at } UTC: { $signer }, способ: одноразовый код, Telegram ID { $telegram_id }, телефон { $phone }
signing-record-unsigned = Не подписано.
signing-record-chain-ok = Цепочка доказательств цела, событий: { $events }.
signing-record-chain-broken = Цепочка доказательств нарушена в событии № { $seq }.
signing-record-events = События:
signing-record-event = { $seq }. { $at } UTC, { $kind } ({ $actor }), хеш { $hash }
signing-record-text = Текст документа:

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
error-signing-velocity-exceeded = Слишком много попыток ввода кода за час. Попробуйте позже.
error-redemption-velocity-exceeded = Слишком много погашений за минуту. Подождите немного и повторите.
## Команды ботов (меню Telegram рядом с полем ввода)
cmd-start = Начать и показать меню
cmd-subscribe = Подписаться на новости
cmd-unsubscribe = Отписаться от новостей
cmd-birthday = Указать день рождения
cmd-discounts = Мои скидки
cmd-help = Контакты, адреса и часы работы
cmd-language = Сменить язык
cmd-cancel = Отменить текущий шаг
cmd-documents = Документы на подпись
cmd-token = Токен входа в админку
cmd-stats = Цифры за сегодня
cmd-cashiers = Одобренные кассиры

## Клиентский бот: главное меню (клавиатура)
menu-discounts = 🎁 Мои скидки
menu-subscribe = 🔔 Подписаться
menu-unsubscribe = 🔕 Отписаться
menu-birthday = 🎂 День рождения
menu-help = ℹ️ Помощь
menu-language = 🌐 Язык
menu-documents = 📄 Документы

## Клиентский бот
client-greeting = Здравствуйте, { $name }! Я бот магазина: здесь скидки и новости. Выберите, что нужно, в меню ниже.
client-greeting-back = С возвращением, { $name }! Выберите, что нужно, в меню ниже.
client-blocked = Извините, этот сервис вам недоступен. Если это ошибка, свяжитесь с магазином.
client-not-understood = Я не понял. Пожалуйста, воспользуйтесь меню ниже.
client-cancelled = Отменено.
client-subscribed = Вы подписались на наши новости.
client-subscribed-welcome = Вы подписались на наши новости! Ваша приветственная скидка: { $value }, код { $code }, действует до { $expires }. Покажите код или его QR на кассе.
client-already-subscribed = Вы уже подписаны.
client-unsubscribed = Вы отписались от новостей. Ваши скидки остаются с вами.
client-not-subscribed = Вы не подписаны.
client-join-channel = Чтобы подписаться, сначала вступите в наш канал { $channel }, затем нажмите «Проверить ещё раз».
client-channel-check-failed = Сейчас не получается проверить канал. Попробуйте позже.
button-check-again = Проверить ещё раз
button-open-channel = Открыть канал
client-birthday-ask = Пришлите дату рождения в виде ДД.ММ или ДД.ММ.ГГГГ, например 05.03 или 05.03.1990. /cancel — отмена.
client-birthday-invalid-format = Это не похоже на дату. Пришлите её в виде ДД.ММ или ДД.ММ.ГГГГ, например 05.03.
client-birthday-invalid-date = Такой даты нет. Проверьте день и месяц.
client-birthday-invalid-year = Год должен быть от 1900 до текущего, и дата не может быть в будущем.
client-birthday-saved = Спасибо! Ваш день рождения — { $date }. Мы пришлём вам подарок.
client-birthday-already = Ваш день рождения уже указан: { $date }. Чтобы изменить его, свяжитесь с магазином.
client-discounts-none = У вас пока нет действующих скидок.
client-discounts-header = { $count ->
        [one] У вас { $count } действующая скидка:
        [few] У вас { $count } действующие скидки:
       *[many] У вас { $count } действующих скидок:
    }
client-discount-line = { $code }: { $value }, до { $expires }
button-qr = QR { $code }
button-history = История
client-qr-caption = Код { $code }: { $value }, действует до { $expires }. Покажите его на кассе.
client-history-empty = История скидок пуста.
client-history-header = Ваши скидки:
client-history-line = { $code }: { $value }, выдана { $date }, { $state }
state-active = действует
state-redeemed = использована
state-expired = истекла
state-revoked = отменена
client-help = Контакты: { $contacts }
    Адреса: { $addresses }
    Часы работы: { $hours }
client-help-unset = пока не указаны
language-name = Русский
client-language-ask = Выберите язык:
client-language-set = Теперь я говорю по-русски.
client-code-used = Ваш код { $code } использован в магазине «{ $store }». Спасибо за покупку!

## Клиентский бот: документы на подпись и сообщения заданий
client-doc-awaits = Вас ждёт документ на подпись: «{ $title }». Откройте его, прочитайте и подпишите одноразовым кодом.
button-doc-open = 📄 Открыть документ
client-docs-none = Документов на подпись нет.
client-docs-header = { $count ->
        [one] { $count } документ ждёт вашей подписи:
        [few] { $count } документа ждут вашей подписи:
       *[many] { $count } документов ждут вашей подписи:
    }
button-doc-line = { $title } (версия { $version })
client-doc-header = Документ «{ $title }», версия { $version }, хеш { $hash }. Полный текст:
client-doc-pdf-caption = Тот же документ в PDF.
client-doc-actions = Подписать документ одноразовым кодом или отказаться?
button-doc-sign = ✍️ Подписать
button-doc-decline = Отказаться
client-doc-decline-ask = Почему вы отказываетесь от подписи?
decline-reason-terms = Не согласен с условиями
decline-reason-mistake = В документе ошибка
decline-reason-other = Другая причина
client-doc-declined = Вы отказались подписать «{ $title }». Причина: { $reason }. Мы сообщим магазину.
client-doc-share-contact = Чтобы подписать, поделитесь своим номером телефона: нажмите кнопку внизу. Принимается только ваш собственный контакт. /cancel — отмена.
button-share-contact = 📱 Поделиться моим номером
client-doc-contact-expected = Нажмите кнопку «Поделиться моим номером» внизу или отправьте /cancel.
client-doc-code-sent = Код отправлен отдельным сообщением. Введите его сюда (6 цифр).
client-doc-code-expected = Введите код из 6 цифр или отправьте /cancel.
client-doc-code-wrong = { $left ->
        [one] Неверный код. Осталась { $left } попытка.
        [few] Неверный код. Осталось { $left } попытки.
       *[many] Неверный код. Осталось { $left } попыток.
    }
client-doc-code-locked-now = Неверный код. Попытки закончились, код заблокирован. Запросите новый.
button-doc-new-code = 🔁 Получить новый код
client-doc-signed = Документ «{ $title }» подписан. Номер подписи: { $signature }, хеш документа: { $hash }. Спасибо!
client-birthday-discount = С днём рождения! Ваш подарок: скидка { $value }, код { $code }, действует до { $expires }.
client-expiry-reminder = Напоминаем: ваша скидка { $value } (код { $code }) действует до { $expires }. Успейте воспользоваться!

## Бот персонала
staff-welcome-admin = Здравствуйте! Команды администратора: /token — вход в админку, /stats — цифры за сегодня, /cashiers — кассиры. Заявки на одобрение приходят сюда.
staff-ask-name = Здравствуйте! Чтобы работать кассиром, зарегистрируйтесь. Как вас зовут?
staff-ask-store = { $name }, выберите ваш магазин:
staff-no-stores = Магазинов пока нет. Попросите администратора добавить магазин и снова отправьте /start.
staff-registered = Спасибо! Заявка в магазин «{ $store }» отправлена. Вы получите сообщение, когда администратор решит.
staff-pending = Ваша заявка ждёт решения администратора.
staff-approved = Ваша учётная запись кассира одобрена. Присылайте код покупателя текстом или фото его QR.
staff-rejected = Ваша заявка кассира отклонена. Подать заново можно командой /start.
staff-revoked = Ваш доступ кассира отозван. Подать заявку заново можно командой /start.
staff-cashier-ready = Пришлите код покупателя текстом или фото его QR.
staff-new-cashier = Новая заявка кассира: { $name }, магазин «{ $store }».
button-approve = ✅ Одобрить
button-reject = ❌ Отклонить
staff-decided-approved = Кассир { $name } («{ $store }») одобрен.
staff-decided-rejected = Кассир { $name } («{ $store }») отклонён.
staff-cashiers-none = Одобренных кассиров нет.
staff-cashiers-header = Одобренные кассиры:
staff-cashier-line = { $name }, «{ $store }»
button-revoke = Отозвать: { $name }
staff-cashier-revoked-done = Кассир { $name } больше не может гасить коды.
staff-code-card = Код { $code }
    Покупатель: { $name }
    Скидка: { $value }
    Действует до: { $expires }
    Состояние: { $state }
button-redeem = Погасить
button-redeem-amount = Погасить с суммой чека
staff-ask-amount = Пришлите сумму чека в рублях, например 1250 или 1250.50. /cancel — отмена.
staff-amount-invalid = Это не сумма. Пришлите рубли, например 1250 или 1250.50.
staff-redeemed = Погашено: код { $code }, { $value }, магазин «{ $store }».
staff-qr-unreadable = Не удалось прочитать QR-код на фото. Пришлите более чёткое фото или введите код.
staff-photo-failed = Не удалось получить фото от Telegram. Пришлите его ещё раз или введите код.
staff-token = Токен входа в админку (одноразовый, действует 5 минут):
    { $token }
staff-stats = Сегодня, { $date }:
    Покупателей: { $users_total } (новых сегодня: { $users_new })
    Подписаны: { $subscribed_total } (сегодня: { $subscribed_new })
    Выдано скидок сегодня: { $issued } (приветственных { $welcome }, ко дню рождения { $birthday })
    Погашено сегодня: { $redeemed }
    Сумма чеков сегодня: { $receipts }
staff-not-admin = Эта команда только для администраторов.
staff-not-understood = Я не понял. Кассиры присылают код или фото его QR.
staff-cancelled = Отменено.

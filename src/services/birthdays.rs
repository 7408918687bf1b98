//! Birthday discounts: who celebrates on a given local date, read by keyset in chunks on
//! `ix_users_birthday (birthday_month, birthday_day)`, never the whole table at once.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entity::users::{self, Entity as Users};
use crate::error::Result;

/// The (month, day) pairs celebrated on `date`: its own, plus 29 February on 28 February of a year
/// without a 29 February.
pub fn celebrated_on(date: NaiveDate) -> Vec<(i16, i16)> {
    let own = (date.month() as i16, date.day() as i16);
    let leap = NaiveDate::from_ymd_opt(date.year(), 2, 29).is_some();
    if own == (2, 28) && !leap {
        vec![own, (2, 29)]
    } else {
        vec![own]
    }
}

/// The next `limit` users with `id > after` who celebrate on `date`, are neither blocked nor unreachable,
/// and set their birthday no later than `set_before`; ordered by id.
pub async fn due_chunk(
    db: &impl ConnectionTrait,
    date: NaiveDate,
    set_before: DateTime<Utc>,
    after: i64,
    limit: u64,
) -> Result<Vec<users::Model>> {
    let mut days = Condition::any();
    for (month, day) in celebrated_on(date) {
        days = days.add(
            Condition::all()
                .add(users::Column::BirthdayMonth.eq(month))
                .add(users::Column::BirthdayDay.eq(day)),
        );
    }
    Ok(Users::find()
        .filter(days)
        .filter(users::Column::Id.gt(after))
        .filter(users::Column::Blocked.eq(false))
        .filter(users::Column::Unreachable.eq(false))
        .filter(users::Column::BirthdaySetAt.lte(set_before))
        .order_by_asc(users::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

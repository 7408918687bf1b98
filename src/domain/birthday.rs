//! Birthdays as customers type them (`DD.MM` or `DD.MM.YYYY`), and when they are celebrated: 29 February
//! is celebrated on 28 February in years that have no 29 February.

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Birthday {
    pub day: u32,
    pub month: u32,
    pub year: Option<i32>,
}

/// Why a typed birthday was refused; each has its own message in the bots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthdayError {
    /// Not `DD.MM` or `DD.MM.YYYY`.
    Format,
    /// No such date (`31.02`, `29.02.2023`, `00.13`).
    NoSuchDate,
    /// A year in the future or before 1900.
    Year,
}

impl BirthdayError {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Format => "invalid_format",
            Self::NoSuchDate => "invalid_date",
            Self::Year => "invalid_year",
        }
    }
}

impl From<BirthdayError> for Error {
    fn from(err: BirthdayError) -> Self {
        Error::invalid("birthday", err.reason())
    }
}

impl Birthday {
    /// Parses `DD.MM` or `DD.MM.YYYY` (also with `/` or `-`), checking the date exists and the year is
    /// between 1900 and `today`'s year and not after `today`.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, BirthdayError> {
        let parts: Vec<&str> = input.trim().split(['.', '/', '-']).collect();
        let number = |s: &str| -> Result<u32, BirthdayError> {
            if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BirthdayError::Format);
            }
            s.parse().map_err(|_| BirthdayError::Format)
        };
        let (day, month, year) = match parts.as_slice() {
            [d, m] if d.len() <= 2 && m.len() <= 2 => (number(d)?, number(m)?, None),
            [d, m, y] if d.len() <= 2 && m.len() <= 2 && y.len() == 4 => {
                (number(d)?, number(m)?, Some(number(y)? as i32))
            }
            _ => return Err(BirthdayError::Format),
        };
        let birthday = Self { day, month, year };
        birthday.validate(today)?;
        Ok(birthday)
    }

    /// Checks stored or typed parts: the date exists (in a leap year when no year is given).
    pub fn validate(&self, today: NaiveDate) -> Result<(), BirthdayError> {
        if let Some(year) = self.year {
            if !(1900..=today.year()).contains(&year) {
                return Err(BirthdayError::Year);
            }
            let date = NaiveDate::from_ymd_opt(year, self.month, self.day)
                .ok_or(BirthdayError::NoSuchDate)?;
            if date > today {
                return Err(BirthdayError::Year);
            }
            return Ok(());
        }
        NaiveDate::from_ymd_opt(2000, self.month, self.day)
            .map(drop)
            .ok_or(BirthdayError::NoSuchDate)
    }

    /// The day it is celebrated in `year`.
    pub fn celebrated_in(&self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, self.day - 1))
            .expect("a validated birthday exists in every year, 29.02 falling back to 28.02")
    }

    /// Shown back to the customer: `05.03` or `05.03.1990`.
    pub fn display(&self) -> String {
        match self.year {
            Some(y) => format!("{:02}.{:02}.{y}", self.day, self.month),
            None => format!("{:02}.{:02}", self.day, self.month),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn day_and_month_with_or_without_a_year_are_accepted() {
        assert_eq!(
            Birthday::parse("05.03", today()),
            Ok(Birthday {
                day: 5,
                month: 3,
                year: None
            })
        );
        assert_eq!(
            Birthday::parse(" 5.3.1990 ", today()),
            Ok(Birthday {
                day: 5,
                month: 3,
                year: Some(1990)
            })
        );
        assert_eq!(
            Birthday::parse("29.02", today()).unwrap().display(),
            "29.02"
        );
        assert_eq!(
            Birthday::parse("29.02.2000", today()).unwrap().display(),
            "29.02.2000"
        );
    }

    #[test]
    fn impossible_dates_letters_and_future_years_are_refused_with_their_reason() {
        assert_eq!(
            Birthday::parse("31.02", today()),
            Err(BirthdayError::NoSuchDate)
        );
        assert_eq!(
            Birthday::parse("29.02.2023", today()),
            Err(BirthdayError::NoSuchDate)
        );
        assert_eq!(
            Birthday::parse("00.05", today()),
            Err(BirthdayError::NoSuchDate)
        );
        assert_eq!(
            Birthday::parse("12.13", today()),
            Err(BirthdayError::NoSuchDate)
        );
        assert_eq!(
            Birthday::parse("ab.cd", today()),
            Err(BirthdayError::Format)
        );
        assert_eq!(
            Birthday::parse("first of may", today()),
            Err(BirthdayError::Format)
        );
        assert_eq!(
            Birthday::parse("1.5.90", today()),
            Err(BirthdayError::Format)
        );
        assert_eq!(
            Birthday::parse("01.05.2030", today()),
            Err(BirthdayError::Year)
        );
        assert_eq!(
            Birthday::parse("01.12.2026", today()),
            Err(BirthdayError::Year)
        );
        assert_eq!(
            Birthday::parse("01.05.1850", today()),
            Err(BirthdayError::Year)
        );
    }

    #[test]
    fn the_29th_of_february_is_celebrated_on_the_28th_in_other_years() {
        let leap_day = Birthday {
            day: 29,
            month: 2,
            year: None,
        };
        assert_eq!(
            leap_day.celebrated_in(2027),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        assert_eq!(
            leap_day.celebrated_in(2028),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
        let ordinary = Birthday {
            day: 1,
            month: 3,
            year: None,
        };
        assert_eq!(
            ordinary.celebrated_in(2027),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
        );
    }
}

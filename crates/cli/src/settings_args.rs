//! The run settings as command-line flags, built from the session's option table
//! ([`ppq_session::OPTIONS`]): one flag per option, its help, aliases and allowed values read from the
//! table, so the CLI can offer nothing the page does not and the other way round.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, Error, FromArgMatches};
use ppq_core::StateModel;
use ppq_session::SessionSettings;
use ppq_session::settings::{FlagKind, OPTIONS, SettingOption, platforms};

/// The settings of a run, parsed from the flags of [`OPTIONS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsArgs(pub SessionSettings);

/// Checks a value with the option's own parser (so `--concat-alignment input` fails at parse time, exit 2).
#[derive(Clone)]
struct OptionParser(&'static SettingOption);

impl TypedValueParser for OptionParser {
    type Value = String;

    fn parse_ref(&self, cmd: &Command, arg: Option<&Arg>, value: &std::ffi::OsStr) -> Result<String, Error> {
        let text = value.to_str().ok_or_else(|| Error::new(ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        let mut probe = SessionSettings { profile: StateModel::Ppq065, ..SessionSettings::default() };
        (self.0.set)(&mut probe, text).map_err(|e| {
            let flag = arg.map_or_else(|| self.0.flag.to_string(), |a| a.get_id().to_string());
            Error::raw(ErrorKind::InvalidValue, format!("--{flag}: {e}\n")).with_cmd(cmd)
        })?;
        Ok(text.to_string())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let values = values_of(self.0);
        (!values.is_empty())
            .then(|| Box::new(values.into_iter().map(PossibleValue::new)) as Box<dyn Iterator<Item = _>>)
    }
}

/// Every value an option takes under any profile (the platforms of both PPQ versions).
fn values_of(o: &SettingOption) -> Vec<String> {
    let mut all = Vec::new();
    for profile in StateModel::ALL {
        for v in (o.values)(&SessionSettings { profile, ..SessionSettings::default() }) {
            if !all.contains(&v) {
                all.push(v);
            }
        }
    }
    all
}

/// The help text: the table's sentence, the default, and for the platform the list per profile.
fn help_of(o: &SettingOption) -> String {
    let mut help = o.help.to_string();
    if o.name == "platform" {
        for profile in StateModel::ALL {
            help.push_str(&format!("\n{}: {}", profile.name(), platforms(profile).join(", ")));
        }
    }
    match o.kind {
        FlagKind::Switch(_) => help,
        _ if o.default_text().is_empty() => help,
        _ => format!("{help} [default: {}]", o.default_text()),
    }
}

fn arg_of(o: &'static SettingOption) -> Arg {
    let arg = Arg::new(o.name).long(o.flag).visible_aliases(o.aliases.iter().copied()).help(help_of(o));
    match o.kind {
        FlagKind::Switch(_) => arg.action(ArgAction::SetTrue),
        FlagKind::List => arg.action(ArgAction::Append).value_delimiter(',').value_name("NAME[,NAME…]"),
        FlagKind::Value => {
            arg.action(ArgAction::Set).value_parser(OptionParser(o)).hide_possible_values(o.name == "platform")
        }
    }
}

impl Args for SettingsArgs {
    fn augment_args(cmd: Command) -> Command {
        OPTIONS.iter().fold(cmd, |cmd, o| cmd.arg(arg_of(o)))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SettingsArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, Error> {
        let mut s = Self::default();
        s.update_from_arg_matches(m)?;
        Ok(s)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), Error> {
        let s = &mut self.0;
        for o in OPTIONS {
            let text = match o.kind {
                FlagKind::Switch(on) => m.get_flag(o.name).then(|| on.to_string()),
                FlagKind::List => m.get_many::<String>(o.name).map(|v| v.cloned().collect::<Vec<_>>().join(",")),
                FlagKind::Value => m.get_one::<String>(o.name).cloned(),
            };
            if let Some(text) = text {
                (o.set)(s, &text).map_err(|e| Error::raw(ErrorKind::InvalidValue, format!("--{}: {e}\n", o.flag)))?;
            }
        }
        s.check().map_err(|e| Error::raw(ErrorKind::InvalidValue, format!("--platform: {e}\n")))
    }
}

//! Names for event types, key codes, LEDs and the rest, in both directions.
//!
//! Key names are the profiles' own (`keymapd_core::keys`): keyd's canonical spelling
//! (`leftcontrol`, `leftmeta`, `a`, `leftmouse`), every kernel spelling in lowercase (`leftctrl`,
//! `btn_left`) and the numbered form `key_30`; a code can be given as `0x1e`.

use keymapd_core::keys::Key;

pub use input_sys::{EV_KEY, EV_LED, EV_MSC, EV_REL, EV_REP, EV_SYN, KEY_MAX, MSC_SCAN, SYN_REPORT};

pub const LED_NUML: u16 = 0;
pub const LED_CAPSL: u16 = 1;
pub const LED_SCROLLL: u16 = 2;

pub const REL_X: u16 = 0;
pub const REL_Y: u16 = 1;
pub const REL_WHEEL: u16 = 8;

pub const BTN_LEFT: u16 = 0x110;
pub const BTN_RIGHT: u16 = 0x111;
pub const BTN_MIDDLE: u16 = 0x112;

/// Parses a number written in decimal or with a `0x` prefix.
pub fn parse_num(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else {
        body.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// Looks a key up by the name a profile uses for it (`leftcontrol`, `a`, `leftmouse`, `kpenter`,
/// any kernel spelling such as `leftctrl` or `btn_left`, `key_30`), or by its code (`0x1e`).
pub fn key_code(name: &str) -> Option<u16> {
    if name.starts_with("0x") {
        return parse_num(name).and_then(|n| u16::try_from(n).ok()).filter(|&c| c <= KEY_MAX);
    }
    Key::from_name(name).map(Key::code)
}

/// The name profiles and `keymapd test` use for a key code (`key_<code>` when it has none).
pub fn key_name(code: u16) -> String {
    match Key::new(code) {
        Some(k) => k.name().to_owned(),
        None => format!("{code}"),
    }
}

pub fn led_code(name: &str) -> Option<u16> {
    match name.to_ascii_lowercase().as_str() {
        "numlock" | "numl" | "led_numl" => Some(LED_NUML),
        "capslock" | "capsl" | "led_capsl" => Some(LED_CAPSL),
        "scrolllock" | "scrolll" | "led_scrolll" => Some(LED_SCROLLL),
        "compose" | "led_compose" => Some(3),
        "kana" | "led_kana" => Some(4),
        other => parse_num(other).and_then(|n| u16::try_from(n).ok()).filter(|n| *n <= 0x0f),
    }
}

pub fn led_name(code: u16) -> String {
    match code {
        LED_NUML => "numlock".into(),
        LED_CAPSL => "capslock".into(),
        LED_SCROLLL => "scrolllock".into(),
        3 => "compose".into(),
        4 => "kana".into(),
        n => format!("led{n}"),
    }
}

pub fn type_code(name: &str) -> Option<u16> {
    match name.to_ascii_uppercase().as_str() {
        "EV_SYN" | "SYN" => Some(EV_SYN),
        "EV_KEY" | "KEY" => Some(EV_KEY),
        "EV_REL" | "REL" => Some(EV_REL),
        "EV_MSC" | "MSC" => Some(EV_MSC),
        "EV_LED" | "LED" => Some(EV_LED),
        "EV_REP" | "REP" => Some(EV_REP),
        _ => parse_num(name).and_then(|n| u16::try_from(n).ok()),
    }
}

pub fn type_name(t: u16) -> String {
    match t {
        EV_SYN => "EV_SYN".into(),
        EV_KEY => "EV_KEY".into(),
        EV_REL => "EV_REL".into(),
        EV_MSC => "EV_MSC".into(),
        EV_LED => "EV_LED".into(),
        EV_REP => "EV_REP".into(),
        n => format!("0x{n:02x}"),
    }
}

/// Parses an event code in the context of its type.
pub fn code_for_type(t: u16, name: &str) -> Option<u16> {
    let upper = name.to_ascii_uppercase();
    let named = match t {
        EV_SYN => match upper.as_str() {
            "SYN_REPORT" => Some(0),
            "SYN_CONFIG" => Some(1),
            "SYN_MT_REPORT" => Some(2),
            "SYN_DROPPED" => Some(3),
            _ => None,
        },
        EV_KEY => key_code(name),
        EV_REL => match upper.as_str() {
            "REL_X" => Some(REL_X),
            "REL_Y" => Some(REL_Y),
            "REL_WHEEL" => Some(REL_WHEEL),
            _ => None,
        },
        EV_MSC => match upper.as_str() {
            "MSC_SCAN" => Some(MSC_SCAN),
            _ => None,
        },
        EV_LED => led_code(name),
        _ => None,
    };
    named.or_else(|| parse_num(name).and_then(|n| u16::try_from(n).ok()))
}

pub fn code_name(t: u16, code: u16) -> String {
    match (t, code) {
        (EV_SYN, 0) => "SYN_REPORT".into(),
        (EV_SYN, 3) => "SYN_DROPPED".into(),
        (EV_KEY, c) => key_name(c),
        (EV_REL, REL_X) => "REL_X".into(),
        (EV_REL, REL_Y) => "REL_Y".into(),
        (EV_REL, REL_WHEEL) => "REL_WHEEL".into(),
        (EV_MSC, MSC_SCAN) => "MSC_SCAN".into(),
        (EV_LED, c) => led_name(c),
        (_, c) => format!("{c}"),
    }
}

/// `down`, `up`, `repeat` for key values 1, 0, 2.
pub fn key_value_name(v: i32) -> String {
    match v {
        0 => "up".into(),
        1 => "down".into(),
        2 => "repeat".into(),
        n => format!("value={n}"),
    }
}

pub fn key_value(s: &str) -> Option<i32> {
    match s {
        "down" | "press" | "1" => Some(1),
        "up" | "release" | "0" => Some(0),
        "repeat" | "2" => Some(2),
        _ => None,
    }
}

/// Human form of any event, as used in failure messages.
pub fn describe(t: u16, code: u16, value: i32) -> String {
    match t {
        EV_KEY => format!("{} {}", key_name(code), key_value_name(value)),
        EV_LED => format!("led {} {}", led_name(code), if value != 0 { "on" } else { "off" }),
        EV_MSC if code == MSC_SCAN => format!("MSC_SCAN 0x{value:x}"),
        _ => format!("{} {} {}", type_name(t), code_name(t, code), value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_round_trip() {
        assert_eq!(key_code("a"), Some(30));
        assert_eq!(key_code("leftcontrol"), Some(29));
        assert_eq!(key_code("leftctrl"), Some(29));
        assert_eq!(key_code("btn_left"), Some(0x110));
        assert_eq!(key_code("leftmouse"), Some(0x110));
        assert_eq!(key_code("0x1e"), Some(30));
        assert_eq!(key_code("nosuchkey"), None);
        assert_eq!(key_code("1"), Some(2));
        assert_eq!(key_code("key_30"), Some(30));
        assert_eq!(key_name(29), "leftcontrol");
        assert_eq!(key_name(125), "leftmeta");
        assert_eq!(key_name(0x110), "leftmouse");
        assert_eq!(key_name(0x2e8), "key_744");
        for code in 0..=KEY_MAX {
            let name = key_name(code);
            assert_eq!(key_code(&name), Some(code), "{name}");
        }
    }
}

//! Device IDs: the selectors a profile's `ids` list holds, and how a device is matched to them.
//! Pure: the daemon reads the device's identity and hands it over as a [`DeviceInfo`].

use super::{Match, Profile, Tie};

/// Linux bus types (`BUS_*` in input.h) that the class selectors look at.
pub mod bus {
    pub const USB: u16 = 0x03;
    pub const BLUETOOTH: u16 = 0x05;
    pub const VIRTUAL: u16 = 0x06;
    pub const I8042: u16 = 0x11;
    pub const I2C: u16 = 0x18;
    pub const HOST: u16 = 0x19;
    pub const SPI: u16 = 0x1C;
}

/// What the daemon knows about an input device, as far as matching is concerned.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct DeviceInfo {
    pub name: String,
    pub vendor: u16,
    pub product: u16,
    pub bustype: u16,
    pub phys: String,
    /// Has the keys of a keyboard (letters, space, enter).
    pub is_keyboard: bool,
    /// Moves a pointer (relative axes or mouse buttons); such devices are never claimed.
    pub is_pointer: bool,
}

impl DeviceInfo {
    /// `vvvv:pppp`, the form `ids` uses.
    pub fn id(&self) -> String {
        format!("{:04x}:{:04x}", self.vendor, self.product)
    }
}

/// A device class selector.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum DeviceClass {
    /// `usb:kb`
    Usb,
    /// `bluetooth:kb`
    Bluetooth,
    /// `laptop:kb`: the built-in keyboard (i8042/serio, I2C, SPI or platform).
    Laptop,
}

impl DeviceClass {
    fn matches(self, bustype: u16) -> bool {
        match self {
            DeviceClass::Usb => bustype == bus::USB,
            DeviceClass::Bluetooth => bustype == bus::BLUETOOTH,
            DeviceClass::Laptop => matches!(bustype, bus::I8042 | bus::I2C | bus::SPI | bus::HOST),
        }
    }
}

/// What one `ids` entry selects.
#[derive(Clone, Debug)]
pub enum IdKind {
    /// `046d:c52b`
    VendorProduct { vendor: u16, product: u16 },
    /// `name:AT Translated Set 2 keyboard`, or a glob such as `name:Logitech*`.
    Name(glob::Pattern),
    /// `usb:kb`, `bluetooth:kb`, `laptop:kb`
    Class(DeviceClass),
    /// `*`: every keyboard.
    Any,
}

impl PartialEq for IdKind {
    fn eq(&self, other: &Self) -> bool {
        use IdKind::*;
        match (self, other) {
            (VendorProduct { vendor: a, product: b }, VendorProduct { vendor: c, product: d }) => {
                a == c && b == d
            }
            (Name(a), Name(b)) => a.as_str() == b.as_str(),
            (Class(a), Class(b)) => a == b,
            (Any, Any) => true,
            _ => false,
        }
    }
}

/// How specific a selector is; when several profiles claim a device, the most specific wins.
#[derive(Copy, Clone, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Specificity {
    Any,
    Class,
    Name,
    VendorProduct,
}

/// One entry of a profile's `ids`, as written and as understood.
#[derive(Clone, Debug)]
pub struct IdSelector {
    /// The entry as written, e.g. `-046d:c077`.
    pub text: String,
    pub exclude: bool,
    pub kind: IdKind,
}

/// The message for an entry that fits none of the forms.
pub const ID_FORMS: &str = "expected `VVVV:PPPP` (hex vendor:product), `name:<device name or glob>`, \
`usb:kb`, `bluetooth:kb`, `laptop:kb` or `*`, optionally with a leading `-` to exclude";

impl IdSelector {
    pub fn parse(text: &str) -> Result<IdSelector, String> {
        let (exclude, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let kind = if body == "*" {
            IdKind::Any
        } else if let Some(name) = body.strip_prefix("name:") {
            if name.is_empty() {
                return Err(format!("empty device name in `{text}`; {ID_FORMS}"));
            }
            IdKind::Name(glob::Pattern::new(name).map_err(|e| format!("bad name glob in `{text}`: {e}"))?)
        } else if let Some(class) = match body {
            "usb:kb" => Some(DeviceClass::Usb),
            "bluetooth:kb" => Some(DeviceClass::Bluetooth),
            "laptop:kb" => Some(DeviceClass::Laptop),
            _ => None,
        } {
            IdKind::Class(class)
        } else if let Some((v, p)) = parse_vendor_product(body) {
            IdKind::VendorProduct { vendor: v, product: p }
        } else if let Some(short) =
            body.rsplit_once(':').map(|(vp, _)| vp).filter(|vp| parse_vendor_product(vp).is_some())
        {
            return Err(format!(
                "unknown device id `{text}`: keyd's `vendor:product:hash` form has no keymapd equivalent; \
                 write `{}{short}` (every device with that vendor:product)",
                if exclude { "-" } else { "" }
            ));
        } else {
            return Err(format!("unknown device id `{text}`; {ID_FORMS}"));
        };
        Ok(IdSelector { text: text.to_owned(), exclude, kind })
    }

    pub fn specificity(&self) -> Specificity {
        match self.kind {
            IdKind::VendorProduct { .. } => Specificity::VendorProduct,
            IdKind::Name(_) => Specificity::Name,
            IdKind::Class(_) => Specificity::Class,
            IdKind::Any => Specificity::Any,
        }
    }

    /// Whether the selector (ignoring its `-`) fits the device.
    pub fn fits(&self, dev: &DeviceInfo) -> bool {
        match &self.kind {
            IdKind::VendorProduct { vendor, product } => dev.vendor == *vendor && dev.product == *product,
            IdKind::Name(p) => p.matches(&dev.name),
            IdKind::Class(c) => c.matches(dev.bustype),
            IdKind::Any => true,
        }
    }
}

fn parse_vendor_product(s: &str) -> Option<(u16, u16)> {
    let (v, p) = s.split_once(':')?;
    let hex4 = |x: &str| {
        (x.len() == 4 && x.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u16::from_str_radix(x, 16).ok())
            .flatten()
    };
    Some((hex4(v)?, hex4(p)?))
}

/// Whether a device can be claimed at all: keyboards only, never a pointer without keys.
pub fn claimable(dev: &DeviceInfo) -> Result<(), &'static str> {
    if dev.is_pointer && !dev.is_keyboard {
        Err("a pointer device, never grabbed")
    } else if !dev.is_keyboard {
        Err("not a keyboard")
    } else {
        Ok(())
    }
}

/// Why a keyboard that also moves a pointer was not claimed.
pub const POINTER_KEYBOARD: &str =
    "a keyboard with a pointer: claimed only by its vendor:product or name:, never by a class or `*`";

/// Whether `sel` may claim `dev`: a keyboard that also moves a pointer (a gaming keyboard, a
/// receiver, a keyboard with a built-in touchpad) only by its vendor:product or `name:`, so that
/// `*` and the classes never take a mouse that can send keys.
fn may_claim(sel: &IdSelector, dev: &DeviceInfo) -> bool {
    !dev.is_pointer || matches!(sel.kind, IdKind::VendorProduct { .. } | IdKind::Name(_))
}

/// The most specific non-excluded selector in `ids` that fits `dev`.
pub fn best_claim<'a>(ids: &'a [IdSelector], dev: &DeviceInfo) -> Option<&'a IdSelector> {
    claimable(dev).ok()?;
    if ids.iter().any(|s| s.exclude && s.fits(dev)) {
        return None;
    }
    ids.iter().filter(|s| !s.exclude && s.fits(dev) && may_claim(s, dev)).max_by_key(|s| s.specificity())
}

pub fn match_device(profiles: &[Profile], dev: &DeviceInfo) -> Match {
    if let Err(why) = claimable(dev) {
        return Match::Unclaimed(why.to_owned());
    }
    let mut best: Option<(usize, &IdSelector)> = None;
    let mut tie: Option<(usize, &IdSelector)> = None;
    for (i, p) in profiles.iter().enumerate() {
        if let Some(sel) = p.claims(dev) {
            // Strictly more specific wins; on a tie the earlier file keeps it, and the first
            // profile it tied with is remembered (until something more specific comes).
            match best {
                Some((_, b)) if sel.specificity() == b.specificity() => {
                    tie.get_or_insert((i, sel));
                }
                Some((_, b)) if sel.specificity() < b.specificity() => {}
                _ => {
                    best = Some((i, sel));
                    tie = None;
                }
            }
        }
    }
    match best {
        Some((profile, sel)) => Match::Claimed {
            profile,
            selector: sel.text.clone(),
            tied_with: tie.map(|(profile, s)| Tie { profile, selector: s.text.clone() }),
        },
        None if profiles.is_empty() => Match::Unclaimed("no profiles loaded".to_owned()),
        None if dev.is_pointer => Match::Unclaimed(POINTER_KEYBOARD.to_owned()),
        None => Match::Unclaimed("no profile claims it".to_owned()),
    }
}

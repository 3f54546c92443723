//! The compiled keymap the engine runs: layers of key → action, built from a profile.
//! Immutable plain data once built; it never parses text and never touches the system.

use crate::keys::{Key, KEY_CNT};

/// Index of a layer in a [`Keymap`]; [`MAIN`] is always 0.
pub type LayerId = u16;
/// The `[main]` layer, consulted after every active layer.
pub const MAIN: LayerId = 0;

/// A set of the eight modifier keys (left/right control, shift, alt, meta), one bit each.
#[derive(Copy, Clone, PartialEq, Eq, Default, Hash)]
pub struct Mods(u8);

/// The modifier keys in bit order.
const MOD_KEYS: [Key; 8] = [
    Key::LEFTCTRL,
    Key::LEFTSHIFT,
    Key::LEFTALT,
    Key::LEFTMETA,
    Key::RIGHTCTRL,
    Key::RIGHTSHIFT,
    Key::RIGHTALT,
    Key::RIGHTMETA,
];

impl Mods {
    pub const NONE: Mods = Mods(0);
    /// `C`: left control.
    pub const CONTROL: Mods = Mods(1 << 0);
    /// `S`: left shift.
    pub const SHIFT: Mods = Mods(1 << 1);
    /// `A`: left alt.
    pub const ALT: Mods = Mods(1 << 2);
    /// `M`: left meta.
    pub const META: Mods = Mods(1 << 3);
    /// `G`: AltGr, i.e. right alt.
    pub const ALTGR: Mods = Mods(1 << 6);

    /// The single-bit set for a modifier key, or `None` for any other key.
    pub fn of_key(key: Key) -> Option<Mods> {
        MOD_KEYS.iter().position(|&k| k == key).map(|i| Mods(1 << i))
    }
    /// The modifier set named by a keyd prefix letter (`C`, `S`, `A`, `M`, `G`).
    pub fn from_letter(c: char) -> Option<Mods> {
        Some(match c {
            'C' => Mods::CONTROL,
            'S' => Mods::SHIFT,
            'A' => Mods::ALT,
            'M' => Mods::META,
            'G' => Mods::ALTGR,
            _ => return None,
        })
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub const fn contains(self, other: Mods) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn union(self, other: Mods) -> Mods {
        Mods(self.0 | other.0)
    }
    pub const fn minus(self, other: Mods) -> Mods {
        Mods(self.0 & !other.0)
    }
    /// The modifier keys in this set, in a fixed order (controls, shifts, alts, metas).
    pub fn keys(self) -> impl Iterator<Item = Key> {
        MOD_KEYS.into_iter().enumerate().filter(move |(i, _)| self.0 & (1 << i) != 0).map(|(_, k)| k)
    }
    /// The keyd prefix letters of this set, e.g. `C-S-`; right-hand keys other than AltGr have none.
    pub fn prefix(self) -> String {
        let mut s = String::new();
        for (m, l) in [
            (Mods::CONTROL, 'C'),
            (Mods::META, 'M'),
            (Mods::ALT, 'A'),
            (Mods::SHIFT, 'S'),
            (Mods::ALTGR, 'G'),
        ] {
            if self.contains(m) {
                s.push(l);
                s.push('-');
            }
        }
        s
    }
}

impl std::fmt::Debug for Mods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.keys()).finish()
    }
}

/// What a key does when pressed, resolved in the active layers at press time.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Action {
    /// Emit `key`, with `mods` held while it is down (`a`, `C-a`, `M-S-t`).
    Key { mods: Mods, key: Key },
    /// A modifier key, as itself or as a mapping target (`leftcontrol = "leftmeta"`): holds that
    /// exact key and activates its built-in modifier layer (`meta` for `leftmeta`) while held.
    Modifier { key: Key, layer: LayerId },
    /// Activate a layer while held: `layer(nav)`; a modifier layer also holds its modifiers.
    Layer(LayerId),
    /// Do nothing (`noop`).
    Noop,
}

/// One keyd section: a name, the modifiers it holds while active, and its bindings.
pub struct Layer {
    pub name: String,
    pub mods: Mods,
    map: Box<[Option<Action>]>,
}

impl Layer {
    fn new(name: &str, mods: Mods) -> Layer {
        Layer { name: name.to_owned(), mods, map: vec![None; KEY_CNT].into_boxed_slice() }
    }
    /// The binding of `key` in this layer, if any.
    #[inline]
    pub fn get(&self, key: Key) -> Option<Action> {
        self.map[key.index()]
    }
    /// Every binding in key order.
    pub fn bindings(&self) -> impl Iterator<Item = (Key, Action)> + '_ {
        self.map.iter().enumerate().filter_map(|(i, a)| Some((Key::new(i as u16)?, (*a)?)))
    }
}

/// The built-in modifier layers, in the order they are created (ids 1..=5).
pub const BUILTIN_LAYERS: [(&str, Mods); 5] = [
    ("control", Mods::CONTROL),
    ("shift", Mods::SHIFT),
    ("meta", Mods::META),
    ("alt", Mods::ALT),
    ("altgr", Mods::ALTGR),
];

/// A complete keymap: `main`, the built-in modifier layers, and the profile's own layers.
pub struct Keymap {
    layers: Vec<Layer>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::new()
    }
}

impl Keymap {
    /// A keymap that maps nothing: every key is itself.
    pub fn new() -> Keymap {
        let mut layers = vec![Layer::new("main", Mods::NONE)];
        layers.extend(BUILTIN_LAYERS.iter().map(|&(n, m)| Layer::new(n, m)));
        Keymap { layers }
    }

    pub fn layer_id(&self, name: &str) -> Option<LayerId> {
        self.layers.iter().position(|l| l.name == name).map(|i| i as LayerId)
    }

    /// Adds a layer (or returns the existing one of that name, updating its modifiers if given).
    pub fn add_layer(&mut self, name: &str, mods: Mods) -> LayerId {
        if let Some(id) = self.layer_id(name) {
            if !mods.is_empty() {
                self.layers[id as usize].mods = mods;
            }
            return id;
        }
        self.layers.push(Layer::new(name, mods));
        (self.layers.len() - 1) as LayerId
    }

    #[inline]
    pub fn layer(&self, id: LayerId) -> &Layer {
        &self.layers[id as usize]
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    pub fn set(&mut self, layer: LayerId, key: Key, action: Action) {
        self.layers[layer as usize].map[key.index()] = Some(action);
    }

    /// The built-in modifier layer a modifier key activates (`leftmeta` → `meta`).
    pub fn modifier_layer(&self, key: Key) -> Option<LayerId> {
        let name = match key {
            Key::LEFTCTRL | Key::RIGHTCTRL => "control",
            Key::LEFTSHIFT | Key::RIGHTSHIFT => "shift",
            Key::LEFTMETA | Key::RIGHTMETA => "meta",
            Key::LEFTALT => "alt",
            Key::RIGHTALT => "altgr",
            _ => return None,
        };
        self.layer_id(name)
    }

    /// The action a key has when no active layer binds it: itself.
    pub fn identity(&self, key: Key) -> Action {
        match self.modifier_layer(key) {
            Some(layer) => Action::Modifier { key, layer },
            None => Action::Key { mods: Mods::NONE, key },
        }
    }

    /// The action for `key` as written in a mapping: a bare modifier key becomes [`Action::Modifier`].
    pub fn key_action(&self, mods: Mods, key: Key) -> Action {
        if mods.is_empty() {
            self.identity(key)
        } else {
            Action::Key { mods, key }
        }
    }
}

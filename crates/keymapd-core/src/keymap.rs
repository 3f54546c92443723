//! The compiled keymap the engine runs: layers of key → action, built from a profile.
//! Immutable plain data once built; it never parses text and never touches the system.

use crate::keys::{Key, KeySet, KEY_CNT};

/// Index of a layer in a [`Keymap`]; [`MAIN`] is always 0.
pub type LayerId = u16;
/// The `[main]` layer, consulted after every active layer.
pub const MAIN: LayerId = 0;

/// A set of the eight modifier keys (left/right control, shift, alt, meta), one bit each.
#[derive(Copy, Clone, PartialEq, Eq, Default, Hash)]
pub struct Mods(u8);

/// The modifier keys in bit order.
pub const MOD_KEYS: [Key; 8] = [
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

    /// Every modifier key in the order keyd presses and releases modifiers (its `modifiers`
    /// table: alt, altgr, shift, meta, control), then the right-hand keys keyd never holds
    /// itself but a keymapd binding may (`x = "rightcontrol"`).
    pub const KEYD_ORDER: [Key; 8] = [
        Key::LEFTALT,
        Key::RIGHTALT,
        Key::LEFTSHIFT,
        Key::LEFTMETA,
        Key::LEFTCTRL,
        Key::RIGHTSHIFT,
        Key::RIGHTMETA,
        Key::RIGHTCTRL,
    ];

    /// The single-bit set for a modifier key (its bit: its place in [`MOD_KEYS`]), or `None` for
    /// any other key. A `match`, not a search of `MOD_KEYS`: the engine asks this for every key it
    /// presses or releases.
    pub const fn of_key(key: Key) -> Option<Mods> {
        let bit = match key {
            Key::LEFTCTRL => 0,
            Key::LEFTSHIFT => 1,
            Key::LEFTALT => 2,
            Key::LEFTMETA => 3,
            Key::RIGHTCTRL => 4,
            Key::RIGHTSHIFT => 5,
            Key::RIGHTALT => 6,
            Key::RIGHTMETA => 7,
            _ => return None,
        };
        Some(Mods(1 << bit))
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

/// Index of a nested action in [`Keymap::action`] (the tap of `overload(…)`, the branches of
/// `timeout(…)`), so that [`Action`] stays small and `Copy`.
pub type ActionId = u16;
/// Index of a compiled macro in [`Keymap::macro_ops`].
pub type MacroId = u16;
/// Index of a `command(…)` text in [`Keymap::command`].
pub type CommandId = u16;

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
    /// `layerm(nav, macro)`: the macro, then `layer(nav)`.
    LayerM(LayerId, MacroId),
    /// `oneshot(nav)`: active while held; if tapped, active for the next key.
    Oneshot(LayerId),
    /// `oneshotm(nav, macro)`: the macro, then `oneshot(nav)`.
    OneshotM(LayerId, MacroId),
    /// `oneshotk(nav, key)`: `oneshot(nav)` that also holds `key` while physically held.
    OneshotK(LayerId, Mods, Key),
    /// `toggle(nav)`: flips the layer on or off on press.
    Toggle(LayerId),
    /// `togglem(nav, macro)`: the macro, then `toggle(nav)`.
    ToggleM(LayerId, MacroId),
    /// `swap(nav)`: replaces the layer the binding was found in by `nav`.
    Swap(LayerId),
    /// `swapm(nav, macro)`: `swap(nav)`, then the macro.
    SwapM(LayerId, MacroId),
    /// `clear()`: deactivates toggled and oneshot layers.
    Clear,
    /// `clearm(macro)`: `clear()`, then the macro.
    ClearM(MacroId),
    /// `setlayout(name)`: makes a `:layout` layer (or `main`: none) the current layout.
    SetLayout(LayerId),
    /// `overload(layer, tap)`: the layer while held; `tap` if released with no key in between.
    Overload { layer: LayerId, tap: ActionId },
    /// `overloadt(layer, tap, ms)` / `overloadt2(…)` (`interrupt`): the layer once held `ms`,
    /// else `tap`; other keys wait. `interrupt`: another key's tap inside resolves as the layer.
    OverloadT { layer: LayerId, tap: ActionId, ms: u16, interrupt: bool },
    /// `overloadi(fast, slow, ms)`: `fast` if a plain key was typed less than `ms` ago, else `slow`.
    OverloadI { fast: ActionId, slow: ActionId, ms: u16 },
    /// `timeout(tap, ms, hold)`: `hold` once held alone `ms`, else `tap`.
    Timeout { tap: ActionId, ms: u16, hold: ActionId },
    /// `macro(…)` (and multi-step sequences): played with the `[global]` repeat timing.
    Macro(MacroId),
    /// `macro2(timeout, repeat, macro)`: a macro with its own repeat timing (`timeout` 0: none).
    Macro2 { id: MacroId, timeout: u16, repeat: u16 },
    /// `repeat()`: does the last key or macro again.
    Repeat,
    /// `command(…)`: asks the daemon to run a shell command (only with `allow_commands`).
    Command(CommandId),
    /// Do nothing (`noop`).
    Noop,
}

/// One step of a compiled macro. A macro is replayed by the engine with a cursor; a `Delay`
/// becomes a deadline, never a sleep.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum MacroOp {
    /// Hold exactly these modifiers plus those of the active layers other than the one the
    /// macro was found in (keyd's `update_mods(dl, mods)`), in keyd's modifier order.
    Mods(Mods),
    /// Press these modifiers (those not down yet), in keyd's order: a key sequence's start.
    ModsDown(Mods),
    /// Release these modifiers, in keyd's order: a key sequence's end.
    ModsUp(Mods),
    Down(Key),
    Up(Key),
    /// Wait this many milliseconds.
    Delay(u16),
}

/// What kind of section a layer is.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum LayerKind {
    /// `[nav]`, `["nav:C-S"]`, the built-in modifier layers.
    Normal,
    /// `["dvorak:layout"]`: at most one is current, chosen by `setlayout()` / `default_layout`.
    Layout,
    /// `["control+alt"]`: active by itself whenever all its constituents are.
    Composite(Vec<LayerId>),
    /// `["app:GLOB"]`: active while the focused application's id matches the glob (and this is
    /// the most specific such layer; see [`Keymap::app_layer_for`]).
    App(AppGlob),
}

/// The pattern of an application layer: a case-sensitive glob (`*`, `?`, `[…]`) over a Wayland
/// `app_id` or an X11 `WM_CLASS` class, with its specificity.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AppGlob {
    pattern: glob::Pattern,
    /// Characters the pattern matches literally.
    literals: u16,
    /// Wildcards: each `*`, `?` and `[…]`.
    wildcards: u16,
}

impl AppGlob {
    /// Compiles a pattern; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<AppGlob, String> {
        let pattern = glob::Pattern::new(text).map_err(|e| e.msg.to_owned())?;
        let (mut literals, mut wildcards) = (0u16, 0u16);
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '*' | '?' => wildcards = wildcards.saturating_add(1),
                '[' => {
                    // `[*]` and `[?]` are escapes: a literal character; any other class a wildcard.
                    let class: String = chars.by_ref().take_while(|&c| c != ']').collect();
                    if class == "*" || class == "?" || class == "[" {
                        literals = literals.saturating_add(1);
                    } else {
                        wildcards = wildcards.saturating_add(1);
                    }
                }
                _ => literals = literals.saturating_add(1),
            }
        }
        Ok(AppGlob { pattern, literals, wildcards })
    }
    pub fn as_str(&self) -> &str {
        self.pattern.as_str()
    }
    /// Whether `app_id` matches (case-sensitive; `*` also matches `/` and a leading `.`).
    pub fn matches(&self, app_id: &str) -> bool {
        self.pattern.matches(app_id)
    }
    /// The precedence among patterns that match the same id: more literal characters first,
    /// then fewer wildcards (so an exact id beats every glob that matches it).
    pub fn specificity(&self) -> (u16, std::cmp::Reverse<u16>) {
        (self.literals, std::cmp::Reverse(self.wildcards))
    }
}

/// The prefix of an application layer's section name: `["app:org.gnome.Terminal"]`.
pub const APP_PREFIX: &str = "app:";

/// At most this many keys in one chord (`j+k+l`).
pub const MAX_CHORD_KEYS: usize = 8;

/// A chord binding (`"j+k" = "esc"`): all `keys` struck within `chord_timeout` of each other.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Chord {
    keys: [Key; MAX_CHORD_KEYS],
    len: u8,
    pub action: Action,
}

impl Chord {
    /// A chord of 2..=[`MAX_CHORD_KEYS`] distinct keys.
    pub fn new(keys: &[Key], action: Action) -> Option<Chord> {
        if keys.len() < 2 || keys.len() > MAX_CHORD_KEYS {
            return None;
        }
        let mut k = [Key::ESC; MAX_CHORD_KEYS];
        k[..keys.len()].copy_from_slice(keys);
        Some(Chord { keys: k, len: keys.len() as u8, action })
    }
    pub fn keys(&self) -> &[Key] {
        &self.keys[..self.len as usize]
    }
    pub fn contains(&self, key: Key) -> bool {
        self.keys().contains(&key)
    }
}

/// The `[global]` settings, as the engine uses them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Settings {
    /// `overload_tap_timeout` (ms, 0: off): an `overload()` held this long does not tap.
    pub overload_tap_timeout: u32,
    /// `oneshot_timeout` (ms, 0: off): a pending oneshot layer expires after this long.
    pub oneshot_timeout: u32,
    /// `chord_timeout` (ms): the longest gap between the keys of a chord.
    pub chord_timeout: u32,
    /// `chord_hold_timeout` (ms): how long a complete chord must be held before it acts.
    pub chord_hold_timeout: u32,
    /// `macro_timeout` (ms): from a held macro key to its first repetition (0: no repetition).
    pub macro_timeout: u32,
    /// `macro_repeat_timeout` (ms): between repetitions.
    pub macro_repeat_timeout: u32,
    /// `macro_sequence_timeout` (µs, as in keyd): between the key events a macro emits.
    pub macro_sequence_timeout_us: u32,
    /// `disable_modifier_guard`: let a lone tap of a held meta/alt through unguarded.
    pub disable_modifier_guard: bool,
    /// `default_layout`: the layout current at start ([`MAIN`]: none).
    pub default_layout: LayerId,
    /// `allow_commands`: whether `command(…)` may be used (it runs as the daemon's user, or in
    /// the user's session through the session agent).
    pub allow_commands: bool,
    /// `hold_shared_keys` (keymapd's own): an output key that several bindings hold (two keys
    /// mapped to `esc`) stays down until the last lets go; keyd releases it with the first.
    pub hold_shared_keys: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            overload_tap_timeout: 0,
            oneshot_timeout: 0,
            chord_timeout: 50,
            chord_hold_timeout: 0,
            macro_timeout: 600,
            macro_repeat_timeout: 50,
            macro_sequence_timeout_us: 0,
            disable_modifier_guard: false,
            default_layout: MAIN,
            allow_commands: false,
            hold_shared_keys: false,
        }
    }
}

/// One keyd section: a name, the modifiers it holds while active, and its bindings.
#[derive(PartialEq, Eq)]
pub struct Layer {
    pub name: String,
    pub mods: Mods,
    pub kind: LayerKind,
    /// Indexed by key code: empty until the layer's first binding, then `KEY_CNT` long. Most
    /// layers of most profiles (the five built-in modifier layers) bind nothing, and a full map
    /// is 6 KiB that a daemon with a few profiles would keep resident for nothing.
    map: Box<[Option<Action>]>,
    chords: Vec<Chord>,
}

impl Layer {
    fn new(name: &str, mods: Mods) -> Layer {
        Layer { name: name.to_owned(), mods, kind: LayerKind::Normal, map: Box::new([]), chords: Vec::new() }
    }
    /// The binding of `key` in this layer, if any.
    #[inline]
    pub fn get(&self, key: Key) -> Option<Action> {
        self.map.get(key.index()).copied().flatten()
    }
    fn bind(&mut self, key: Key, action: Action) {
        if self.map.is_empty() {
            self.map = vec![None; KEY_CNT].into_boxed_slice();
        }
        if let Some(slot) = self.map.get_mut(key.index()) {
            *slot = Some(action);
        }
    }
    /// Every binding in key order.
    pub fn bindings(&self) -> impl Iterator<Item = (Key, Action)> + '_ {
        self.map.iter().enumerate().filter_map(|(i, a)| Some((Key::new(i as u16)?, (*a)?)))
    }
    /// The chords bound in this layer.
    pub fn chords(&self) -> &[Chord] {
        &self.chords
    }
    /// The layers a composite layer is made of (empty for other kinds).
    pub fn constituents(&self) -> &[LayerId] {
        match &self.kind {
            LayerKind::Composite(c) => c,
            _ => &[],
        }
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
/// Equality is equality of everything the engine reads (bindings, nested actions, macros,
/// commands, chords, settings): a hot reload keeps a keyboard's engine only when it is equal.
#[derive(PartialEq, Eq)]
pub struct Keymap {
    layers: Vec<Layer>,
    /// The composite layers, for the lookup that gives them precedence.
    composites: Vec<LayerId>,
    /// The application layers, in file order.
    apps: Vec<LayerId>,
    actions: Vec<Action>,
    macros: Vec<Box<[MacroOp]>>,
    commands: Vec<String>,
    has_chords: bool,
    /// Every key of every chord of every layer: a key outside it starts no chord decision.
    chord_keys: KeySet,
    pub settings: Settings,
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
        Keymap {
            layers,
            composites: Vec::new(),
            apps: Vec::new(),
            actions: Vec::new(),
            macros: Vec::new(),
            commands: Vec::new(),
            has_chords: false,
            chord_keys: KeySet::default(),
            settings: Settings::default(),
        }
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

    /// Calls `f` with `action` and every action nested in it (the tap of `overload()`, the
    /// branches of `timeout()` and `overloadi()`), outermost first.
    pub fn walk(&self, action: Action, f: &mut impl FnMut(Action)) {
        self.walk_at(action, f, 0);
    }

    fn walk_at(&self, action: Action, f: &mut impl FnMut(Action), depth: u8) {
        // Nested actions form a tree built by the parser; the bound is only a guard.
        if depth > 16 {
            return;
        }
        f(action);
        match action {
            Action::Overload { tap, .. } | Action::OverloadT { tap, .. } => {
                self.walk_at(self.action(tap), f, depth + 1)
            }
            Action::OverloadI { fast: a, slow: b, .. } | Action::Timeout { tap: a, hold: b, .. } => {
                self.walk_at(self.action(a), f, depth + 1);
                self.walk_at(self.action(b), f, depth + 1);
            }
            _ => {}
        }
    }

    /// Calls `f` with every key that `action` can emit, following nested actions and macros.
    pub fn action_keys(&self, action: Action, f: &mut impl FnMut(Key)) {
        self.walk(action, &mut |a| match a {
            Action::Key { key, .. } | Action::Modifier { key, .. } | Action::OneshotK(_, _, key) => f(key),
            Action::LayerM(_, m)
            | Action::OneshotM(_, m)
            | Action::ToggleM(_, m)
            | Action::SwapM(_, m)
            | Action::ClearM(m)
            | Action::Macro(m)
            | Action::Macro2 { id: m, .. } => {
                for op in self.macro_ops(m) {
                    if let MacroOp::Down(k) | MacroOp::Up(k) = *op {
                        f(k);
                    }
                }
            }
            Action::Overload { .. }
            | Action::OverloadT { .. }
            | Action::OverloadI { .. }
            | Action::Timeout { .. }
            | Action::Layer(_)
            | Action::Oneshot(_)
            | Action::Toggle(_)
            | Action::Swap(_)
            | Action::Clear
            | Action::SetLayout(_)
            | Action::Repeat
            | Action::Command(_)
            | Action::Noop => {}
        });
    }

    /// Calls `f` with every layer that `action` can activate or make current (`layer(nav)`,
    /// `swap(sym)`, `setlayout(dvorak)`, a modifier key's built-in layer), following nested
    /// actions.
    pub fn action_layers(&self, action: Action, f: &mut impl FnMut(LayerId)) {
        self.walk(action, &mut |a| match a {
            Action::Modifier { layer, .. }
            | Action::Layer(layer)
            | Action::LayerM(layer, _)
            | Action::Oneshot(layer)
            | Action::OneshotM(layer, _)
            | Action::OneshotK(layer, _, _)
            | Action::Toggle(layer)
            | Action::ToggleM(layer, _)
            | Action::Swap(layer)
            | Action::SwapM(layer, _)
            | Action::SetLayout(layer)
            | Action::Overload { layer, .. }
            | Action::OverloadT { layer, .. } => f(layer),
            Action::OverloadI { .. }
            | Action::Timeout { .. }
            | Action::Key { .. }
            | Action::Clear
            | Action::ClearM(_)
            | Action::Macro(_)
            | Action::Macro2 { .. }
            | Action::Repeat
            | Action::Command(_)
            | Action::Noop => {}
        });
    }

    /// Every action a layer holds: its bindings and its chords' actions.
    pub fn layer_actions(&self, layer: LayerId) -> impl Iterator<Item = Action> + '_ {
        let l = &self.layers[layer as usize];
        l.map.iter().flatten().copied().chain(l.chords.iter().map(|c| c.action))
    }

    /// Which layers can ever be active (or current, for a layout), by keyd's rules: `main` and
    /// the built-in modifier layers always can (the modifier keys activate them); the
    /// `default_layout`; any layer an action in a reachable layer activates (`layer()`,
    /// `oneshot()`, `toggle()`, `swap()`, `overload()`, `setlayout()`, … and the `m`/`k`
    /// variants, nested actions included); a composite once all its parts are reachable.
    /// An action in a layer that can never be active can never run, so it reaches nothing.
    pub fn reachable_layers(&self) -> Vec<bool> {
        let n = self.layers.len();
        let mut reached = vec![false; n];
        let mut todo: Vec<LayerId> = Vec::new();
        let mark = |l: LayerId, reached: &mut Vec<bool>, todo: &mut Vec<LayerId>| {
            if let Some(r) = reached.get_mut(l as usize).filter(|r| !**r) {
                *r = true;
                todo.push(l);
            }
        };
        for l in 0..=BUILTIN_LAYERS.len() as LayerId {
            mark(l, &mut reached, &mut todo);
        }
        mark(self.settings.default_layout, &mut reached, &mut todo);
        // The focus activates application layers.
        for &a in &self.apps {
            mark(a, &mut reached, &mut todo);
        }
        loop {
            while let Some(l) = todo.pop() {
                let mut found = Vec::new();
                for a in self.layer_actions(l) {
                    self.action_layers(a, &mut |t| found.push(t));
                }
                for t in found {
                    mark(t, &mut reached, &mut todo);
                }
            }
            for &c in &self.composites {
                if !reached[c as usize] && self.layer(c).constituents().iter().all(|&p| reached[p as usize]) {
                    mark(c, &mut reached, &mut todo);
                }
            }
            if todo.is_empty() {
                return reached;
            }
        }
    }

    /// Whether some binding or chord can emit a key for which `pred` holds (nested actions and
    /// macros included; not the keys a device passes through unbound).
    pub fn emits_any(&self, pred: impl Fn(Key) -> bool) -> bool {
        let mut found = false;
        for layer in 0..self.layers.len() as LayerId {
            for a in self.layer_actions(layer) {
                self.action_keys(a, &mut |k| found |= pred(k));
                if found {
                    return true;
                }
            }
        }
        false
    }

    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    pub fn set(&mut self, layer: LayerId, key: Key, action: Action) {
        self.layers[layer as usize].bind(key, action);
    }

    /// Makes a layer a layout, a composite (of existing layers) or an application layer.
    pub fn set_kind(&mut self, layer: LayerId, kind: LayerKind) {
        if matches!(kind, LayerKind::Composite(_)) && !self.composites.contains(&layer) {
            self.composites.push(layer);
        }
        if matches!(kind, LayerKind::App(_)) && !self.apps.contains(&layer) {
            self.apps.push(layer);
        }
        self.layers[layer as usize].kind = kind;
    }

    /// The application layers, in file order.
    pub fn app_layers(&self) -> &[LayerId] {
        &self.apps
    }

    /// The application layer active while `app_id` has the focus, if any: of the layers whose
    /// pattern matches it, the most specific ([`AppGlob::specificity`]: most literal characters,
    /// then fewest wildcards), then the first in the file. Only that one is active; the others
    /// (and composites naming them) are not. Not for the hot path: call it once per focus change.
    pub fn app_layer_for(&self, app_id: &str) -> Option<LayerId> {
        let mut best: Option<(LayerId, (u16, std::cmp::Reverse<u16>))> = None;
        for &id in &self.apps {
            let LayerKind::App(g) = &self.layers[id as usize].kind else { continue };
            if g.matches(app_id) && best.is_none_or(|(_, s)| g.specificity() > s) {
                best = Some((id, g.specificity()));
            }
        }
        best.map(|(id, _)| id)
    }

    /// The composite layers.
    pub fn composites(&self) -> &[LayerId] {
        &self.composites
    }

    /// Adds a chord binding to a layer.
    pub fn add_chord(&mut self, layer: LayerId, chord: Chord) {
        self.layers[layer as usize].chords.push(chord);
        self.has_chords = true;
        for &k in chord.keys() {
            self.chord_keys.set(k, true);
        }
    }

    /// Whether any layer binds a chord.
    #[inline]
    pub fn has_chords(&self) -> bool {
        self.has_chords
    }

    /// Whether `key` is in a chord of any layer (the engine asks this before it looks for a
    /// chord among the active layers: one bit test for most keys).
    #[inline]
    pub fn in_a_chord(&self, key: Key) -> bool {
        self.chord_keys.contains(key)
    }

    /// Stores a nested action; `None` when the table is full (65536 entries).
    pub fn add_action(&mut self, action: Action) -> Option<ActionId> {
        let id = ActionId::try_from(self.actions.len()).ok()?;
        self.actions.push(action);
        Some(id)
    }

    #[inline]
    pub fn action(&self, id: ActionId) -> Action {
        self.actions[id as usize]
    }

    /// Stores a compiled macro; `None` when the table is full.
    pub fn add_macro(&mut self, ops: Vec<MacroOp>) -> Option<MacroId> {
        let id = MacroId::try_from(self.macros.len()).ok()?;
        self.macros.push(ops.into_boxed_slice());
        Some(id)
    }

    #[inline]
    pub fn macro_ops(&self, id: MacroId) -> &[MacroOp] {
        &self.macros[id as usize]
    }

    /// Stores a command text; `None` when the table is full.
    pub fn add_command(&mut self, cmd: &str) -> Option<CommandId> {
        let id = CommandId::try_from(self.commands.len()).ok()?;
        self.commands.push(cmd.to_owned());
        Some(id)
    }

    #[inline]
    pub fn command(&self, id: CommandId) -> &str {
        &self.commands[id as usize]
    }

    /// The built-in modifier layer a modifier key activates (`leftmeta` → `meta`). The built-in
    /// layers have the ids 1..=5 in [`BUILTIN_LAYERS`]'s order in every keymap ([`Keymap::new`]
    /// creates them first, and layers are never removed): no search by name, which the engine
    /// would otherwise make for every press of an unbound modifier key.
    pub fn modifier_layer(&self, key: Key) -> Option<LayerId> {
        let builtin = match key {
            Key::LEFTCTRL | Key::RIGHTCTRL => 0,   // control
            Key::LEFTSHIFT | Key::RIGHTSHIFT => 1, // shift
            Key::LEFTMETA | Key::RIGHTMETA => 2,   // meta
            Key::LEFTALT => 3,                     // alt
            Key::RIGHTALT => 4,                    // altgr
            _ => return None,
        };
        Some(1 + builtin)
    }

    /// The action a key has when no active layer binds it: itself.
    pub fn identity(&self, key: Key) -> Action {
        match self.modifier_layer(key) {
            Some(layer) => Action::Modifier { key, layer },
            None => Action::Key { mods: Mods::NONE, key },
        }
    }

    /// What a key does when no layer binds it (keyd's default aliases: every modifier key is
    /// its modifier layer, which holds the left-hand key): right control, shift and meta come
    /// out as left control, shift and meta; right alt stays AltGr. Every other key is itself.
    pub fn default_action(&self, key: Key) -> Action {
        let left = match key {
            Key::RIGHTCTRL => Key::LEFTCTRL,
            Key::RIGHTSHIFT => Key::LEFTSHIFT,
            Key::RIGHTMETA => Key::LEFTMETA,
            other => other,
        };
        self.identity(left)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_holds_a_key_table_only_once_it_binds_a_key() {
        let mut km = Keymap::new();
        let a = Action::Key { mods: Mods::NONE, key: Key::ESC };
        km.set(MAIN, Key::CAPSLOCK, a);
        assert_eq!(km.layer(MAIN).map.len(), KEY_CNT);
        assert_eq!(km.layer(MAIN).get(Key::CAPSLOCK), Some(a));
        assert_eq!(km.layer(MAIN).get(Key::ESC), None);
        // The built-in modifier layers bind nothing here: no table, and every lookup is None.
        for id in 1..km.layers().len() as LayerId {
            assert!(km.layer(id).map.is_empty(), "layer {} allocated a key table", km.layer(id).name);
            assert_eq!(km.layer(id).get(Key::CAPSLOCK), None);
            assert_eq!(km.layer(id).bindings().count(), 0);
        }
    }

    /// `Mods::of_key` is a `match` for speed; the bit order it encodes is `MOD_KEYS`'s, and every
    /// other key code is no modifier.
    #[test]
    fn of_key_agrees_with_mod_keys() {
        for code in 0..KEY_CNT as u16 {
            let key = Key::new(code).unwrap();
            let expected = MOD_KEYS.iter().position(|&k| k == key).map(|i| Mods(1 << i));
            assert_eq!(Mods::of_key(key).map(|m| m.0), expected.map(|m| m.0), "key code {code}");
        }
    }

    /// The engine's modifier walk takes each key of `KEYD_ORDER` with its bit: all eight
    /// modifier keys, once each.
    #[test]
    fn keyd_order_is_every_modifier_key_once() {
        let mut all = Mods::NONE;
        for key in Mods::KEYD_ORDER {
            let m = Mods::of_key(key).unwrap();
            assert!(!all.contains(m), "{key:?} twice");
            all = all.union(m);
        }
        assert_eq!(all.0, 0xff);
    }

    #[test]
    fn in_a_chord_is_every_key_of_every_layers_chords() {
        let mut k = Keymap::new();
        assert!(!k.has_chords() && !k.in_a_chord(Key::J));
        let nav = k.add_layer("nav", Mods::NONE);
        let esc = Action::Key { mods: Mods::NONE, key: Key::ESC };
        k.add_chord(MAIN, Chord::new(&[Key::J, Key::K], esc).unwrap());
        k.add_chord(nav, Chord::new(&[Key::D, Key::F, Key::G], esc).unwrap());
        for key in [Key::J, Key::K, Key::D, Key::F, Key::G] {
            assert!(k.in_a_chord(key), "{key:?}");
        }
        for key in [Key::A, Key::L, Key::ESC] {
            assert!(!k.in_a_chord(key), "{key:?}");
        }
    }

    /// `modifier_layer` gives the built-in layers' ids without a search: they are the layers of
    /// those names, also in a keymap with layers of its own (and one that redefines `shift`).
    #[test]
    fn modifier_layer_is_the_builtin_layer_of_that_name() {
        let mut k = Keymap::new();
        k.add_layer("nav", Mods::NONE);
        k.add_layer("shift", Mods::NONE);
        k.add_layer("sym", Mods::NONE);
        let names = [
            (Key::LEFTCTRL, "control"),
            (Key::RIGHTCTRL, "control"),
            (Key::LEFTSHIFT, "shift"),
            (Key::RIGHTSHIFT, "shift"),
            (Key::LEFTMETA, "meta"),
            (Key::RIGHTMETA, "meta"),
            (Key::LEFTALT, "alt"),
            (Key::RIGHTALT, "altgr"),
        ];
        for (key, name) in names {
            assert_eq!(k.modifier_layer(key), k.layer_id(name), "{key:?}");
            assert_eq!(k.layer(k.modifier_layer(key).unwrap()).name, name);
        }
        for code in 0..KEY_CNT as u16 {
            let key = Key::new(code).unwrap();
            if Mods::of_key(key).is_none() {
                assert_eq!(k.modifier_layer(key), None, "key code {code}");
            }
        }
    }
}

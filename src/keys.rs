//! Every Linux key code (KEY_* and BTN_*, 0..KEY_CNT) and its names.
//! Pure lookup tables; never allocates after start and never touches the system.
//! (Temporary stub: the full table is being generated.)

/// Number of key codes the kernel defines (KEY_CNT in input-event-codes.h).
pub const KEY_CNT: usize = 0x300;

/// A Linux key code, always below [`KEY_CNT`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u16);

impl Key {
    pub const ESC: Key = Key(1);
    pub const ENTER: Key = Key(28);
    pub const LEFTCTRL: Key = Key(29);
    pub const LEFTSHIFT: Key = Key(42);
    pub const RIGHTSHIFT: Key = Key(54);
    pub const LEFTALT: Key = Key(56);
    pub const CAPSLOCK: Key = Key(58);
    pub const RIGHTCTRL: Key = Key(97);
    pub const RIGHTALT: Key = Key(100);
    pub const LEFTMETA: Key = Key(125);
    pub const RIGHTMETA: Key = Key(126);
    pub const BACKSPACE: Key = Key(14);
    pub const A: Key = Key(30);

    /// The key with this code, if the code is below [`KEY_CNT`].
    pub const fn new(code: u16) -> Option<Key> {
        if (code as usize) < KEY_CNT { Some(Key(code)) } else { None }
    }
    pub const fn code(self) -> u16 {
        self.0
    }
    pub const fn index(self) -> usize {
        self.0 as usize
    }
    /// The canonical (keyd-style) name.
    pub fn name(self) -> &'static str {
        "?"
    }
    /// Looks a key up by any accepted name: canonical, kernel spelling or alias.
    pub fn from_name(_name: &str) -> Option<Key> {
        None
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The accepted name closest to `name`, for "did you mean" hints.
pub fn suggest(_name: &str) -> Option<&'static str> {
    None
}

//! Every Linux key code (KEY_* and BTN_*, 0..KEY_CNT) and its names: canonical, kernel and keyd.
//! Pure static tables: it never allocates, never parses profiles and never touches the system.
//!
//! # Names
//!
//! * **Canonical** ([`Key::name`]): keyd's name where keyd has one (`leftcontrol`, `esc`,
//!   `minus`, `leftmouse`, `102nd`, …), otherwise the kernel name lowercased without `KEY_`
//!   (`KEY_BRIGHTNESSUP` → `brightnessup`); buttons keep the `btn_` prefix (`btn_south`). Where
//!   a code has several kernel names, the specific one wins (`BTN_0` over `BTN_MISC`, the target of
//!   `#define KEY_SCREENLOCK KEY_COFFEE`). One clash: keyd's `next` is `KEY_VIDEO_NEXT` (241), so
//!   the kernel's `KEY_NEXT` (0x197) is canonically `key_next`.
//! * **Accepted** ([`Key::from_name`]): the canonical name, every kernel spelling of the code
//!   (`leftctrl`, `kpenter`, `screenlock`, `hanguel`, `btn_a`, `btn_left`, `btn_mouse`, …) and
//!   keyd's extra spellings (`escape`, and the symbols `-` `=` `[` `]` `;` `'` `` ` `` `\` `,`
//!   `.` `/`). Names are matched exactly (case-sensitive; they are all lowercase).
//! * **Numbered form** `key_<decimal code>` (`key_195`, `key_744`): accepted for every code below
//!   [`KEY_CNT`], named or not, and returned by [`Key::name`] for codes the kernel leaves unnamed.
//!   It is not listed by [`all_names`] and never suggested.
//! * `iso-level3-shift` (84) has no kernel name but keyd names it, so it counts as named.
//! * Shifted symbols (`!`, `A`, `{`, …) are not key names: [`shifted`] maps them to their
//!   unshifted key on a US layout.
//! * Constants: one per kernel name, named as the kernel does without `KEY_` (`Key::LEFTCTRL`,
//!   `Key::KP1`, `Key::F24`), with `BTN_` kept (`Key::BTN_LEFT`, `Key::BTN_SOUTH`). Names that
//!   would start with a digit keep their `KEY_` prefix: `Key::KEY_1`, `Key::KEY_102ND`.
//!
//! The tables were generated once from the Linux 6.1 uapi `input-event-codes.h` (612 distinct
//! codes); regenerate or extend them by hand when the kernel adds codes.

/// Number of key codes the kernel defines (KEY_CNT in input-event-codes.h).
pub const KEY_CNT: usize = 0x300;

/// A Linux key code, always below [`KEY_CNT`].
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u16);

/// One constant per kernel name (see the module docs for the naming rule).
impl Key {
    // ---- Generated: one constant per kernel name (KEY_1 and KEY_102ND keep their prefix). ----
    pub const RESERVED: Key = Key(0);
    pub const ESC: Key = Key(1);
    pub const KEY_1: Key = Key(2);
    pub const KEY_2: Key = Key(3);
    pub const KEY_3: Key = Key(4);
    pub const KEY_4: Key = Key(5);
    pub const KEY_5: Key = Key(6);
    pub const KEY_6: Key = Key(7);
    pub const KEY_7: Key = Key(8);
    pub const KEY_8: Key = Key(9);
    pub const KEY_9: Key = Key(10);
    pub const KEY_0: Key = Key(11);
    pub const MINUS: Key = Key(12);
    pub const EQUAL: Key = Key(13);
    pub const BACKSPACE: Key = Key(14);
    pub const TAB: Key = Key(15);
    pub const Q: Key = Key(16);
    pub const W: Key = Key(17);
    pub const E: Key = Key(18);
    pub const R: Key = Key(19);
    pub const T: Key = Key(20);
    pub const Y: Key = Key(21);
    pub const U: Key = Key(22);
    pub const I: Key = Key(23);
    pub const O: Key = Key(24);
    pub const P: Key = Key(25);
    pub const LEFTBRACE: Key = Key(26);
    pub const RIGHTBRACE: Key = Key(27);
    pub const ENTER: Key = Key(28);
    pub const LEFTCTRL: Key = Key(29);
    pub const A: Key = Key(30);
    pub const S: Key = Key(31);
    pub const D: Key = Key(32);
    pub const F: Key = Key(33);
    pub const G: Key = Key(34);
    pub const H: Key = Key(35);
    pub const J: Key = Key(36);
    pub const K: Key = Key(37);
    pub const L: Key = Key(38);
    pub const SEMICOLON: Key = Key(39);
    pub const APOSTROPHE: Key = Key(40);
    pub const GRAVE: Key = Key(41);
    pub const LEFTSHIFT: Key = Key(42);
    pub const BACKSLASH: Key = Key(43);
    pub const Z: Key = Key(44);
    pub const X: Key = Key(45);
    pub const C: Key = Key(46);
    pub const V: Key = Key(47);
    pub const B: Key = Key(48);
    pub const N: Key = Key(49);
    pub const M: Key = Key(50);
    pub const COMMA: Key = Key(51);
    pub const DOT: Key = Key(52);
    pub const SLASH: Key = Key(53);
    pub const RIGHTSHIFT: Key = Key(54);
    pub const KPASTERISK: Key = Key(55);
    pub const LEFTALT: Key = Key(56);
    pub const SPACE: Key = Key(57);
    pub const CAPSLOCK: Key = Key(58);
    pub const F1: Key = Key(59);
    pub const F2: Key = Key(60);
    pub const F3: Key = Key(61);
    pub const F4: Key = Key(62);
    pub const F5: Key = Key(63);
    pub const F6: Key = Key(64);
    pub const F7: Key = Key(65);
    pub const F8: Key = Key(66);
    pub const F9: Key = Key(67);
    pub const F10: Key = Key(68);
    pub const NUMLOCK: Key = Key(69);
    pub const SCROLLLOCK: Key = Key(70);
    pub const KP7: Key = Key(71);
    pub const KP8: Key = Key(72);
    pub const KP9: Key = Key(73);
    pub const KPMINUS: Key = Key(74);
    pub const KP4: Key = Key(75);
    pub const KP5: Key = Key(76);
    pub const KP6: Key = Key(77);
    pub const KPPLUS: Key = Key(78);
    pub const KP1: Key = Key(79);
    pub const KP2: Key = Key(80);
    pub const KP3: Key = Key(81);
    pub const KP0: Key = Key(82);
    pub const KPDOT: Key = Key(83);
    pub const ZENKAKUHANKAKU: Key = Key(85);
    pub const KEY_102ND: Key = Key(86);
    pub const F11: Key = Key(87);
    pub const F12: Key = Key(88);
    pub const RO: Key = Key(89);
    pub const KATAKANA: Key = Key(90);
    pub const HIRAGANA: Key = Key(91);
    pub const HENKAN: Key = Key(92);
    pub const KATAKANAHIRAGANA: Key = Key(93);
    pub const MUHENKAN: Key = Key(94);
    pub const KPJPCOMMA: Key = Key(95);
    pub const KPENTER: Key = Key(96);
    pub const RIGHTCTRL: Key = Key(97);
    pub const KPSLASH: Key = Key(98);
    pub const SYSRQ: Key = Key(99);
    pub const RIGHTALT: Key = Key(100);
    pub const LINEFEED: Key = Key(101);
    pub const HOME: Key = Key(102);
    pub const UP: Key = Key(103);
    pub const PAGEUP: Key = Key(104);
    pub const LEFT: Key = Key(105);
    pub const RIGHT: Key = Key(106);
    pub const END: Key = Key(107);
    pub const DOWN: Key = Key(108);
    pub const PAGEDOWN: Key = Key(109);
    pub const INSERT: Key = Key(110);
    pub const DELETE: Key = Key(111);
    pub const MACRO: Key = Key(112);
    pub const MUTE: Key = Key(113);
    pub const VOLUMEDOWN: Key = Key(114);
    pub const VOLUMEUP: Key = Key(115);
    pub const POWER: Key = Key(116);
    pub const KPEQUAL: Key = Key(117);
    pub const KPPLUSMINUS: Key = Key(118);
    pub const PAUSE: Key = Key(119);
    pub const SCALE: Key = Key(120);
    pub const KPCOMMA: Key = Key(121);
    pub const HANGEUL: Key = Key(122);
    pub const HANGUEL: Key = Key(122);
    pub const HANJA: Key = Key(123);
    pub const YEN: Key = Key(124);
    pub const LEFTMETA: Key = Key(125);
    pub const RIGHTMETA: Key = Key(126);
    pub const COMPOSE: Key = Key(127);
    pub const STOP: Key = Key(128);
    pub const AGAIN: Key = Key(129);
    pub const PROPS: Key = Key(130);
    pub const UNDO: Key = Key(131);
    pub const FRONT: Key = Key(132);
    pub const COPY: Key = Key(133);
    pub const OPEN: Key = Key(134);
    pub const PASTE: Key = Key(135);
    pub const FIND: Key = Key(136);
    pub const CUT: Key = Key(137);
    pub const HELP: Key = Key(138);
    pub const MENU: Key = Key(139);
    pub const CALC: Key = Key(140);
    pub const SETUP: Key = Key(141);
    pub const SLEEP: Key = Key(142);
    pub const WAKEUP: Key = Key(143);
    pub const FILE: Key = Key(144);
    pub const SENDFILE: Key = Key(145);
    pub const DELETEFILE: Key = Key(146);
    pub const XFER: Key = Key(147);
    pub const PROG1: Key = Key(148);
    pub const PROG2: Key = Key(149);
    pub const WWW: Key = Key(150);
    pub const MSDOS: Key = Key(151);
    pub const COFFEE: Key = Key(152);
    pub const SCREENLOCK: Key = Key(152);
    pub const ROTATE_DISPLAY: Key = Key(153);
    pub const DIRECTION: Key = Key(153);
    pub const CYCLEWINDOWS: Key = Key(154);
    pub const MAIL: Key = Key(155);
    pub const BOOKMARKS: Key = Key(156);
    pub const COMPUTER: Key = Key(157);
    pub const BACK: Key = Key(158);
    pub const FORWARD: Key = Key(159);
    pub const CLOSECD: Key = Key(160);
    pub const EJECTCD: Key = Key(161);
    pub const EJECTCLOSECD: Key = Key(162);
    pub const NEXTSONG: Key = Key(163);
    pub const PLAYPAUSE: Key = Key(164);
    pub const PREVIOUSSONG: Key = Key(165);
    pub const STOPCD: Key = Key(166);
    pub const RECORD: Key = Key(167);
    pub const REWIND: Key = Key(168);
    pub const PHONE: Key = Key(169);
    pub const ISO: Key = Key(170);
    pub const CONFIG: Key = Key(171);
    pub const HOMEPAGE: Key = Key(172);
    pub const REFRESH: Key = Key(173);
    pub const EXIT: Key = Key(174);
    pub const MOVE: Key = Key(175);
    pub const EDIT: Key = Key(176);
    pub const SCROLLUP: Key = Key(177);
    pub const SCROLLDOWN: Key = Key(178);
    pub const KPLEFTPAREN: Key = Key(179);
    pub const KPRIGHTPAREN: Key = Key(180);
    pub const NEW: Key = Key(181);
    pub const REDO: Key = Key(182);
    pub const F13: Key = Key(183);
    pub const F14: Key = Key(184);
    pub const F15: Key = Key(185);
    pub const F16: Key = Key(186);
    pub const F17: Key = Key(187);
    pub const F18: Key = Key(188);
    pub const F19: Key = Key(189);
    pub const F20: Key = Key(190);
    pub const F21: Key = Key(191);
    pub const F22: Key = Key(192);
    pub const F23: Key = Key(193);
    pub const F24: Key = Key(194);
    pub const PLAYCD: Key = Key(200);
    pub const PAUSECD: Key = Key(201);
    pub const PROG3: Key = Key(202);
    pub const PROG4: Key = Key(203);
    pub const ALL_APPLICATIONS: Key = Key(204);
    pub const DASHBOARD: Key = Key(204);
    pub const SUSPEND: Key = Key(205);
    pub const CLOSE: Key = Key(206);
    pub const PLAY: Key = Key(207);
    pub const FASTFORWARD: Key = Key(208);
    pub const BASSBOOST: Key = Key(209);
    pub const PRINT: Key = Key(210);
    pub const HP: Key = Key(211);
    pub const CAMERA: Key = Key(212);
    pub const SOUND: Key = Key(213);
    pub const QUESTION: Key = Key(214);
    pub const EMAIL: Key = Key(215);
    pub const CHAT: Key = Key(216);
    pub const SEARCH: Key = Key(217);
    pub const CONNECT: Key = Key(218);
    pub const FINANCE: Key = Key(219);
    pub const SPORT: Key = Key(220);
    pub const SHOP: Key = Key(221);
    pub const ALTERASE: Key = Key(222);
    pub const CANCEL: Key = Key(223);
    pub const BRIGHTNESSDOWN: Key = Key(224);
    pub const BRIGHTNESSUP: Key = Key(225);
    pub const MEDIA: Key = Key(226);
    pub const SWITCHVIDEOMODE: Key = Key(227);
    pub const KBDILLUMTOGGLE: Key = Key(228);
    pub const KBDILLUMDOWN: Key = Key(229);
    pub const KBDILLUMUP: Key = Key(230);
    pub const SEND: Key = Key(231);
    pub const REPLY: Key = Key(232);
    pub const FORWARDMAIL: Key = Key(233);
    pub const SAVE: Key = Key(234);
    pub const DOCUMENTS: Key = Key(235);
    pub const BATTERY: Key = Key(236);
    pub const BLUETOOTH: Key = Key(237);
    pub const WLAN: Key = Key(238);
    pub const UWB: Key = Key(239);
    pub const UNKNOWN: Key = Key(240);
    pub const VIDEO_NEXT: Key = Key(241);
    pub const VIDEO_PREV: Key = Key(242);
    pub const BRIGHTNESS_CYCLE: Key = Key(243);
    pub const BRIGHTNESS_AUTO: Key = Key(244);
    pub const BRIGHTNESS_ZERO: Key = Key(244);
    pub const DISPLAY_OFF: Key = Key(245);
    pub const WWAN: Key = Key(246);
    pub const WIMAX: Key = Key(246);
    pub const RFKILL: Key = Key(247);
    pub const MICMUTE: Key = Key(248);
    pub const BTN_MISC: Key = Key(0x100);
    pub const BTN_0: Key = Key(0x100);
    pub const BTN_1: Key = Key(0x101);
    pub const BTN_2: Key = Key(0x102);
    pub const BTN_3: Key = Key(0x103);
    pub const BTN_4: Key = Key(0x104);
    pub const BTN_5: Key = Key(0x105);
    pub const BTN_6: Key = Key(0x106);
    pub const BTN_7: Key = Key(0x107);
    pub const BTN_8: Key = Key(0x108);
    pub const BTN_9: Key = Key(0x109);
    pub const BTN_MOUSE: Key = Key(0x110);
    pub const BTN_LEFT: Key = Key(0x110);
    pub const BTN_RIGHT: Key = Key(0x111);
    pub const BTN_MIDDLE: Key = Key(0x112);
    pub const BTN_SIDE: Key = Key(0x113);
    pub const BTN_EXTRA: Key = Key(0x114);
    pub const BTN_FORWARD: Key = Key(0x115);
    pub const BTN_BACK: Key = Key(0x116);
    pub const BTN_TASK: Key = Key(0x117);
    pub const BTN_JOYSTICK: Key = Key(0x120);
    pub const BTN_TRIGGER: Key = Key(0x120);
    pub const BTN_THUMB: Key = Key(0x121);
    pub const BTN_THUMB2: Key = Key(0x122);
    pub const BTN_TOP: Key = Key(0x123);
    pub const BTN_TOP2: Key = Key(0x124);
    pub const BTN_PINKIE: Key = Key(0x125);
    pub const BTN_BASE: Key = Key(0x126);
    pub const BTN_BASE2: Key = Key(0x127);
    pub const BTN_BASE3: Key = Key(0x128);
    pub const BTN_BASE4: Key = Key(0x129);
    pub const BTN_BASE5: Key = Key(0x12a);
    pub const BTN_BASE6: Key = Key(0x12b);
    pub const BTN_DEAD: Key = Key(0x12f);
    pub const BTN_GAMEPAD: Key = Key(0x130);
    pub const BTN_SOUTH: Key = Key(0x130);
    pub const BTN_A: Key = Key(0x130);
    pub const BTN_EAST: Key = Key(0x131);
    pub const BTN_B: Key = Key(0x131);
    pub const BTN_C: Key = Key(0x132);
    pub const BTN_NORTH: Key = Key(0x133);
    pub const BTN_X: Key = Key(0x133);
    pub const BTN_WEST: Key = Key(0x134);
    pub const BTN_Y: Key = Key(0x134);
    pub const BTN_Z: Key = Key(0x135);
    pub const BTN_TL: Key = Key(0x136);
    pub const BTN_TR: Key = Key(0x137);
    pub const BTN_TL2: Key = Key(0x138);
    pub const BTN_TR2: Key = Key(0x139);
    pub const BTN_SELECT: Key = Key(0x13a);
    pub const BTN_START: Key = Key(0x13b);
    pub const BTN_MODE: Key = Key(0x13c);
    pub const BTN_THUMBL: Key = Key(0x13d);
    pub const BTN_THUMBR: Key = Key(0x13e);
    pub const BTN_DIGI: Key = Key(0x140);
    pub const BTN_TOOL_PEN: Key = Key(0x140);
    pub const BTN_TOOL_RUBBER: Key = Key(0x141);
    pub const BTN_TOOL_BRUSH: Key = Key(0x142);
    pub const BTN_TOOL_PENCIL: Key = Key(0x143);
    pub const BTN_TOOL_AIRBRUSH: Key = Key(0x144);
    pub const BTN_TOOL_FINGER: Key = Key(0x145);
    pub const BTN_TOOL_MOUSE: Key = Key(0x146);
    pub const BTN_TOOL_LENS: Key = Key(0x147);
    pub const BTN_TOOL_QUINTTAP: Key = Key(0x148);
    pub const BTN_STYLUS3: Key = Key(0x149);
    pub const BTN_TOUCH: Key = Key(0x14a);
    pub const BTN_STYLUS: Key = Key(0x14b);
    pub const BTN_STYLUS2: Key = Key(0x14c);
    pub const BTN_TOOL_DOUBLETAP: Key = Key(0x14d);
    pub const BTN_TOOL_TRIPLETAP: Key = Key(0x14e);
    pub const BTN_TOOL_QUADTAP: Key = Key(0x14f);
    pub const BTN_WHEEL: Key = Key(0x150);
    pub const BTN_GEAR_DOWN: Key = Key(0x150);
    pub const BTN_GEAR_UP: Key = Key(0x151);
    pub const OK: Key = Key(0x160);
    pub const SELECT: Key = Key(0x161);
    pub const GOTO: Key = Key(0x162);
    pub const CLEAR: Key = Key(0x163);
    pub const POWER2: Key = Key(0x164);
    pub const OPTION: Key = Key(0x165);
    pub const INFO: Key = Key(0x166);
    pub const TIME: Key = Key(0x167);
    pub const VENDOR: Key = Key(0x168);
    pub const ARCHIVE: Key = Key(0x169);
    pub const PROGRAM: Key = Key(0x16a);
    pub const CHANNEL: Key = Key(0x16b);
    pub const FAVORITES: Key = Key(0x16c);
    pub const EPG: Key = Key(0x16d);
    pub const PVR: Key = Key(0x16e);
    pub const MHP: Key = Key(0x16f);
    pub const LANGUAGE: Key = Key(0x170);
    pub const TITLE: Key = Key(0x171);
    pub const SUBTITLE: Key = Key(0x172);
    pub const ANGLE: Key = Key(0x173);
    pub const FULL_SCREEN: Key = Key(0x174);
    pub const ZOOM: Key = Key(0x174);
    pub const MODE: Key = Key(0x175);
    pub const KEYBOARD: Key = Key(0x176);
    pub const ASPECT_RATIO: Key = Key(0x177);
    pub const SCREEN: Key = Key(0x177);
    pub const PC: Key = Key(0x178);
    pub const TV: Key = Key(0x179);
    pub const TV2: Key = Key(0x17a);
    pub const VCR: Key = Key(0x17b);
    pub const VCR2: Key = Key(0x17c);
    pub const SAT: Key = Key(0x17d);
    pub const SAT2: Key = Key(0x17e);
    pub const CD: Key = Key(0x17f);
    pub const TAPE: Key = Key(0x180);
    pub const RADIO: Key = Key(0x181);
    pub const TUNER: Key = Key(0x182);
    pub const PLAYER: Key = Key(0x183);
    pub const TEXT: Key = Key(0x184);
    pub const DVD: Key = Key(0x185);
    pub const AUX: Key = Key(0x186);
    pub const MP3: Key = Key(0x187);
    pub const AUDIO: Key = Key(0x188);
    pub const VIDEO: Key = Key(0x189);
    pub const DIRECTORY: Key = Key(0x18a);
    pub const LIST: Key = Key(0x18b);
    pub const MEMO: Key = Key(0x18c);
    pub const CALENDAR: Key = Key(0x18d);
    pub const RED: Key = Key(0x18e);
    pub const GREEN: Key = Key(0x18f);
    pub const YELLOW: Key = Key(0x190);
    pub const BLUE: Key = Key(0x191);
    pub const CHANNELUP: Key = Key(0x192);
    pub const CHANNELDOWN: Key = Key(0x193);
    pub const FIRST: Key = Key(0x194);
    pub const LAST: Key = Key(0x195);
    pub const AB: Key = Key(0x196);
    pub const NEXT: Key = Key(0x197);
    pub const RESTART: Key = Key(0x198);
    pub const SLOW: Key = Key(0x199);
    pub const SHUFFLE: Key = Key(0x19a);
    pub const BREAK: Key = Key(0x19b);
    pub const PREVIOUS: Key = Key(0x19c);
    pub const DIGITS: Key = Key(0x19d);
    pub const TEEN: Key = Key(0x19e);
    pub const TWEN: Key = Key(0x19f);
    pub const VIDEOPHONE: Key = Key(0x1a0);
    pub const GAMES: Key = Key(0x1a1);
    pub const ZOOMIN: Key = Key(0x1a2);
    pub const ZOOMOUT: Key = Key(0x1a3);
    pub const ZOOMRESET: Key = Key(0x1a4);
    pub const WORDPROCESSOR: Key = Key(0x1a5);
    pub const EDITOR: Key = Key(0x1a6);
    pub const SPREADSHEET: Key = Key(0x1a7);
    pub const GRAPHICSEDITOR: Key = Key(0x1a8);
    pub const PRESENTATION: Key = Key(0x1a9);
    pub const DATABASE: Key = Key(0x1aa);
    pub const NEWS: Key = Key(0x1ab);
    pub const VOICEMAIL: Key = Key(0x1ac);
    pub const ADDRESSBOOK: Key = Key(0x1ad);
    pub const MESSENGER: Key = Key(0x1ae);
    pub const DISPLAYTOGGLE: Key = Key(0x1af);
    pub const BRIGHTNESS_TOGGLE: Key = Key(0x1af);
    pub const SPELLCHECK: Key = Key(0x1b0);
    pub const LOGOFF: Key = Key(0x1b1);
    pub const DOLLAR: Key = Key(0x1b2);
    pub const EURO: Key = Key(0x1b3);
    pub const FRAMEBACK: Key = Key(0x1b4);
    pub const FRAMEFORWARD: Key = Key(0x1b5);
    pub const CONTEXT_MENU: Key = Key(0x1b6);
    pub const MEDIA_REPEAT: Key = Key(0x1b7);
    pub const KEY_10CHANNELSUP: Key = Key(0x1b8);
    pub const KEY_10CHANNELSDOWN: Key = Key(0x1b9);
    pub const IMAGES: Key = Key(0x1ba);
    pub const NOTIFICATION_CENTER: Key = Key(0x1bc);
    pub const PICKUP_PHONE: Key = Key(0x1bd);
    pub const HANGUP_PHONE: Key = Key(0x1be);
    pub const LINK_PHONE: Key = Key(0x1bf);
    pub const DEL_EOL: Key = Key(0x1c0);
    pub const DEL_EOS: Key = Key(0x1c1);
    pub const INS_LINE: Key = Key(0x1c2);
    pub const DEL_LINE: Key = Key(0x1c3);
    pub const FN: Key = Key(0x1d0);
    pub const FN_ESC: Key = Key(0x1d1);
    pub const FN_F1: Key = Key(0x1d2);
    pub const FN_F2: Key = Key(0x1d3);
    pub const FN_F3: Key = Key(0x1d4);
    pub const FN_F4: Key = Key(0x1d5);
    pub const FN_F5: Key = Key(0x1d6);
    pub const FN_F6: Key = Key(0x1d7);
    pub const FN_F7: Key = Key(0x1d8);
    pub const FN_F8: Key = Key(0x1d9);
    pub const FN_F9: Key = Key(0x1da);
    pub const FN_F10: Key = Key(0x1db);
    pub const FN_F11: Key = Key(0x1dc);
    pub const FN_F12: Key = Key(0x1dd);
    pub const FN_1: Key = Key(0x1de);
    pub const FN_2: Key = Key(0x1df);
    pub const FN_D: Key = Key(0x1e0);
    pub const FN_E: Key = Key(0x1e1);
    pub const FN_F: Key = Key(0x1e2);
    pub const FN_S: Key = Key(0x1e3);
    pub const FN_B: Key = Key(0x1e4);
    pub const FN_RIGHT_SHIFT: Key = Key(0x1e5);
    pub const BRL_DOT1: Key = Key(0x1f1);
    pub const BRL_DOT2: Key = Key(0x1f2);
    pub const BRL_DOT3: Key = Key(0x1f3);
    pub const BRL_DOT4: Key = Key(0x1f4);
    pub const BRL_DOT5: Key = Key(0x1f5);
    pub const BRL_DOT6: Key = Key(0x1f6);
    pub const BRL_DOT7: Key = Key(0x1f7);
    pub const BRL_DOT8: Key = Key(0x1f8);
    pub const BRL_DOT9: Key = Key(0x1f9);
    pub const BRL_DOT10: Key = Key(0x1fa);
    pub const NUMERIC_0: Key = Key(0x200);
    pub const NUMERIC_1: Key = Key(0x201);
    pub const NUMERIC_2: Key = Key(0x202);
    pub const NUMERIC_3: Key = Key(0x203);
    pub const NUMERIC_4: Key = Key(0x204);
    pub const NUMERIC_5: Key = Key(0x205);
    pub const NUMERIC_6: Key = Key(0x206);
    pub const NUMERIC_7: Key = Key(0x207);
    pub const NUMERIC_8: Key = Key(0x208);
    pub const NUMERIC_9: Key = Key(0x209);
    pub const NUMERIC_STAR: Key = Key(0x20a);
    pub const NUMERIC_POUND: Key = Key(0x20b);
    pub const NUMERIC_A: Key = Key(0x20c);
    pub const NUMERIC_B: Key = Key(0x20d);
    pub const NUMERIC_C: Key = Key(0x20e);
    pub const NUMERIC_D: Key = Key(0x20f);
    pub const CAMERA_FOCUS: Key = Key(0x210);
    pub const WPS_BUTTON: Key = Key(0x211);
    pub const TOUCHPAD_TOGGLE: Key = Key(0x212);
    pub const TOUCHPAD_ON: Key = Key(0x213);
    pub const TOUCHPAD_OFF: Key = Key(0x214);
    pub const CAMERA_ZOOMIN: Key = Key(0x215);
    pub const CAMERA_ZOOMOUT: Key = Key(0x216);
    pub const CAMERA_UP: Key = Key(0x217);
    pub const CAMERA_DOWN: Key = Key(0x218);
    pub const CAMERA_LEFT: Key = Key(0x219);
    pub const CAMERA_RIGHT: Key = Key(0x21a);
    pub const ATTENDANT_ON: Key = Key(0x21b);
    pub const ATTENDANT_OFF: Key = Key(0x21c);
    pub const ATTENDANT_TOGGLE: Key = Key(0x21d);
    pub const LIGHTS_TOGGLE: Key = Key(0x21e);
    pub const BTN_DPAD_UP: Key = Key(0x220);
    pub const BTN_DPAD_DOWN: Key = Key(0x221);
    pub const BTN_DPAD_LEFT: Key = Key(0x222);
    pub const BTN_DPAD_RIGHT: Key = Key(0x223);
    pub const ALS_TOGGLE: Key = Key(0x230);
    pub const ROTATE_LOCK_TOGGLE: Key = Key(0x231);
    pub const REFRESH_RATE_TOGGLE: Key = Key(0x232);
    pub const BUTTONCONFIG: Key = Key(0x240);
    pub const TASKMANAGER: Key = Key(0x241);
    pub const JOURNAL: Key = Key(0x242);
    pub const CONTROLPANEL: Key = Key(0x243);
    pub const APPSELECT: Key = Key(0x244);
    pub const SCREENSAVER: Key = Key(0x245);
    pub const VOICECOMMAND: Key = Key(0x246);
    pub const ASSISTANT: Key = Key(0x247);
    pub const KBD_LAYOUT_NEXT: Key = Key(0x248);
    pub const EMOJI_PICKER: Key = Key(0x249);
    pub const DICTATE: Key = Key(0x24a);
    pub const BRIGHTNESS_MIN: Key = Key(0x250);
    pub const BRIGHTNESS_MAX: Key = Key(0x251);
    pub const KBDINPUTASSIST_PREV: Key = Key(0x260);
    pub const KBDINPUTASSIST_NEXT: Key = Key(0x261);
    pub const KBDINPUTASSIST_PREVGROUP: Key = Key(0x262);
    pub const KBDINPUTASSIST_NEXTGROUP: Key = Key(0x263);
    pub const KBDINPUTASSIST_ACCEPT: Key = Key(0x264);
    pub const KBDINPUTASSIST_CANCEL: Key = Key(0x265);
    pub const RIGHT_UP: Key = Key(0x266);
    pub const RIGHT_DOWN: Key = Key(0x267);
    pub const LEFT_UP: Key = Key(0x268);
    pub const LEFT_DOWN: Key = Key(0x269);
    pub const ROOT_MENU: Key = Key(0x26a);
    pub const MEDIA_TOP_MENU: Key = Key(0x26b);
    pub const NUMERIC_11: Key = Key(0x26c);
    pub const NUMERIC_12: Key = Key(0x26d);
    pub const AUDIO_DESC: Key = Key(0x26e);
    pub const KEY_3D_MODE: Key = Key(0x26f);
    pub const NEXT_FAVORITE: Key = Key(0x270);
    pub const STOP_RECORD: Key = Key(0x271);
    pub const PAUSE_RECORD: Key = Key(0x272);
    pub const VOD: Key = Key(0x273);
    pub const UNMUTE: Key = Key(0x274);
    pub const FASTREVERSE: Key = Key(0x275);
    pub const SLOWREVERSE: Key = Key(0x276);
    pub const DATA: Key = Key(0x277);
    pub const ONSCREEN_KEYBOARD: Key = Key(0x278);
    pub const PRIVACY_SCREEN_TOGGLE: Key = Key(0x279);
    pub const SELECTIVE_SCREENSHOT: Key = Key(0x27a);
    pub const NEXT_ELEMENT: Key = Key(0x27b);
    pub const PREVIOUS_ELEMENT: Key = Key(0x27c);
    pub const AUTOPILOT_ENGAGE_TOGGLE: Key = Key(0x27d);
    pub const MARK_WAYPOINT: Key = Key(0x27e);
    pub const SOS: Key = Key(0x27f);
    pub const NAV_CHART: Key = Key(0x280);
    pub const FISHING_CHART: Key = Key(0x281);
    pub const SINGLE_RANGE_RADAR: Key = Key(0x282);
    pub const DUAL_RANGE_RADAR: Key = Key(0x283);
    pub const RADAR_OVERLAY: Key = Key(0x284);
    pub const TRADITIONAL_SONAR: Key = Key(0x285);
    pub const CLEARVU_SONAR: Key = Key(0x286);
    pub const SIDEVU_SONAR: Key = Key(0x287);
    pub const NAV_INFO: Key = Key(0x288);
    pub const BRIGHTNESS_MENU: Key = Key(0x289);
    pub const MACRO1: Key = Key(0x290);
    pub const MACRO2: Key = Key(0x291);
    pub const MACRO3: Key = Key(0x292);
    pub const MACRO4: Key = Key(0x293);
    pub const MACRO5: Key = Key(0x294);
    pub const MACRO6: Key = Key(0x295);
    pub const MACRO7: Key = Key(0x296);
    pub const MACRO8: Key = Key(0x297);
    pub const MACRO9: Key = Key(0x298);
    pub const MACRO10: Key = Key(0x299);
    pub const MACRO11: Key = Key(0x29a);
    pub const MACRO12: Key = Key(0x29b);
    pub const MACRO13: Key = Key(0x29c);
    pub const MACRO14: Key = Key(0x29d);
    pub const MACRO15: Key = Key(0x29e);
    pub const MACRO16: Key = Key(0x29f);
    pub const MACRO17: Key = Key(0x2a0);
    pub const MACRO18: Key = Key(0x2a1);
    pub const MACRO19: Key = Key(0x2a2);
    pub const MACRO20: Key = Key(0x2a3);
    pub const MACRO21: Key = Key(0x2a4);
    pub const MACRO22: Key = Key(0x2a5);
    pub const MACRO23: Key = Key(0x2a6);
    pub const MACRO24: Key = Key(0x2a7);
    pub const MACRO25: Key = Key(0x2a8);
    pub const MACRO26: Key = Key(0x2a9);
    pub const MACRO27: Key = Key(0x2aa);
    pub const MACRO28: Key = Key(0x2ab);
    pub const MACRO29: Key = Key(0x2ac);
    pub const MACRO30: Key = Key(0x2ad);
    pub const MACRO_RECORD_START: Key = Key(0x2b0);
    pub const MACRO_RECORD_STOP: Key = Key(0x2b1);
    pub const MACRO_PRESET_CYCLE: Key = Key(0x2b2);
    pub const MACRO_PRESET1: Key = Key(0x2b3);
    pub const MACRO_PRESET2: Key = Key(0x2b4);
    pub const MACRO_PRESET3: Key = Key(0x2b5);
    pub const KBD_LCD_MENU1: Key = Key(0x2b8);
    pub const KBD_LCD_MENU2: Key = Key(0x2b9);
    pub const KBD_LCD_MENU3: Key = Key(0x2ba);
    pub const KBD_LCD_MENU4: Key = Key(0x2bb);
    pub const KBD_LCD_MENU5: Key = Key(0x2bc);
    pub const BTN_TRIGGER_HAPPY: Key = Key(0x2c0);
    pub const BTN_TRIGGER_HAPPY1: Key = Key(0x2c0);
    pub const BTN_TRIGGER_HAPPY2: Key = Key(0x2c1);
    pub const BTN_TRIGGER_HAPPY3: Key = Key(0x2c2);
    pub const BTN_TRIGGER_HAPPY4: Key = Key(0x2c3);
    pub const BTN_TRIGGER_HAPPY5: Key = Key(0x2c4);
    pub const BTN_TRIGGER_HAPPY6: Key = Key(0x2c5);
    pub const BTN_TRIGGER_HAPPY7: Key = Key(0x2c6);
    pub const BTN_TRIGGER_HAPPY8: Key = Key(0x2c7);
    pub const BTN_TRIGGER_HAPPY9: Key = Key(0x2c8);
    pub const BTN_TRIGGER_HAPPY10: Key = Key(0x2c9);
    pub const BTN_TRIGGER_HAPPY11: Key = Key(0x2ca);
    pub const BTN_TRIGGER_HAPPY12: Key = Key(0x2cb);
    pub const BTN_TRIGGER_HAPPY13: Key = Key(0x2cc);
    pub const BTN_TRIGGER_HAPPY14: Key = Key(0x2cd);
    pub const BTN_TRIGGER_HAPPY15: Key = Key(0x2ce);
    pub const BTN_TRIGGER_HAPPY16: Key = Key(0x2cf);
    pub const BTN_TRIGGER_HAPPY17: Key = Key(0x2d0);
    pub const BTN_TRIGGER_HAPPY18: Key = Key(0x2d1);
    pub const BTN_TRIGGER_HAPPY19: Key = Key(0x2d2);
    pub const BTN_TRIGGER_HAPPY20: Key = Key(0x2d3);
    pub const BTN_TRIGGER_HAPPY21: Key = Key(0x2d4);
    pub const BTN_TRIGGER_HAPPY22: Key = Key(0x2d5);
    pub const BTN_TRIGGER_HAPPY23: Key = Key(0x2d6);
    pub const BTN_TRIGGER_HAPPY24: Key = Key(0x2d7);
    pub const BTN_TRIGGER_HAPPY25: Key = Key(0x2d8);
    pub const BTN_TRIGGER_HAPPY26: Key = Key(0x2d9);
    pub const BTN_TRIGGER_HAPPY27: Key = Key(0x2da);
    pub const BTN_TRIGGER_HAPPY28: Key = Key(0x2db);
    pub const BTN_TRIGGER_HAPPY29: Key = Key(0x2dc);
    pub const BTN_TRIGGER_HAPPY30: Key = Key(0x2dd);
    pub const BTN_TRIGGER_HAPPY31: Key = Key(0x2de);
    pub const BTN_TRIGGER_HAPPY32: Key = Key(0x2df);
    pub const BTN_TRIGGER_HAPPY33: Key = Key(0x2e0);
    pub const BTN_TRIGGER_HAPPY34: Key = Key(0x2e1);
    pub const BTN_TRIGGER_HAPPY35: Key = Key(0x2e2);
    pub const BTN_TRIGGER_HAPPY36: Key = Key(0x2e3);
    pub const BTN_TRIGGER_HAPPY37: Key = Key(0x2e4);
    pub const BTN_TRIGGER_HAPPY38: Key = Key(0x2e5);
    pub const BTN_TRIGGER_HAPPY39: Key = Key(0x2e6);
    pub const BTN_TRIGGER_HAPPY40: Key = Key(0x2e7);
}

impl Key {
    /// The key with this code, if the code is below [`KEY_CNT`].
    pub const fn new(code: u16) -> Option<Key> {
        if (code as usize) < KEY_CNT {
            Some(Key(code))
        } else {
            None
        }
    }

    /// The kernel key code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// The code as an index into `[_; KEY_CNT]` tables.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// A mouse button, BTN_LEFT ..= BTN_TASK (`leftmouse`, `rightmouse`, `middlemouse`, …):
    /// emitted on keymapd's virtual pointer.
    pub const fn is_mouse_button(self) -> bool {
        self.0 >= 0x110 && self.0 <= 0x117
    }

    /// A keyboard key: every code but the pointer, joystick, gamepad and tablet buttons
    /// (BTN_MISC ..= 0x15f and BTN_TRIGGER_HAPPY*), which a keyboard must not declare.
    pub const fn is_keyboard_key(self) -> bool {
        self.0 >= 1 && !(self.0 >= 0x100 && self.0 <= 0x15f) && !(self.0 >= 0x2c0 && self.0 <= 0x2e7)
    }

    /// Whether keymapd's virtual devices can emit it: a keyboard key or a mouse button.
    pub const fn is_emittable(self) -> bool {
        self.is_keyboard_key() || self.is_mouse_button()
    }

    /// The canonical (keyd-style) name; `key_<code>` for a code without a name.
    pub fn name(self) -> &'static str {
        NAMES[self.index()]
    }

    /// Whether the code has a real name (the kernel's or keyd's), not just `key_<code>`.
    pub fn has_name(self) -> bool {
        parse_numbered(self.name()).is_none()
    }

    /// Looks a key up by any accepted name: canonical, kernel spelling, keyd spelling, or the
    /// numbered form `key_<decimal code>`.
    pub fn from_name(name: &str) -> Option<Key> {
        match BY_NAME.binary_search_by(|&(n, _)| n.cmp(name)) {
            Ok(i) => Some(Key(BY_NAME[i].1)),
            Err(_) => parse_numbered(name),
        }
    }

    /// Whether the code is in one of the kernel's `BTN_*` blocks (mouse, joystick, gamepad,
    /// digitizer, wheel, d-pad, trigger-happy), rather than a key.
    pub const fn is_button(self) -> bool {
        matches!(self.0, 0x100..=0x15f | 0x220..=0x223 | 0x2c0..=0x2e7)
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

/// `key_<decimal code>` with no sign or leading zero, for a code below [`KEY_CNT`].
fn parse_numbered(name: &str) -> Option<Key> {
    let digits = name.strip_prefix("key_")?;
    let bytes = digits.as_bytes();
    if bytes.is_empty() || bytes.len() > 3 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    let mut code: u16 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        code = code * 10 + u16::from(b - b'0');
    }
    Key::new(code)
}

/// The key a shifted symbol is typed with on a US layout (`!` → `1`, `{` → `leftbrace`,
/// `A` → `a`); keyd reads such a symbol in a key sequence as shift + that key.
pub fn shifted(name: &str) -> Option<Key> {
    let &[c] = name.as_bytes() else {
        return None;
    };
    let key = match c {
        b'!' => Key::KEY_1,
        b'@' => Key::KEY_2,
        b'#' => Key::KEY_3,
        b'$' => Key::KEY_4,
        b'%' => Key::KEY_5,
        b'^' => Key::KEY_6,
        b'&' => Key::KEY_7,
        b'*' => Key::KEY_8,
        b'(' => Key::KEY_9,
        b')' => Key::KEY_0,
        b'_' => Key::MINUS,
        b'+' => Key::EQUAL,
        b'{' => Key::LEFTBRACE,
        b'}' => Key::RIGHTBRACE,
        b'|' => Key::BACKSLASH,
        b':' => Key::SEMICOLON,
        b'"' => Key::APOSTROPHE,
        b'<' => Key::COMMA,
        b'>' => Key::DOT,
        b'?' => Key::SLASH,
        b'~' => Key::GRAVE,
        b'A'..=b'Z' => {
            let lower = [c.to_ascii_lowercase()];
            // The lowercase letter is its own key name.
            return Key::from_name(std::str::from_utf8(&lower).ok()?);
        }
        _ => return None,
    };
    Some(key)
}

/// Every named code with its canonical name, in code order.
pub fn canonical_names() -> impl Iterator<Item = (Key, &'static str)> {
    (0..KEY_CNT as u16).map(Key).filter(|k| k.has_name()).map(|k| (k, k.name()))
}

/// Every accepted name (canonical and aliases) with its key, in byte order of the name. The
/// numbered form `key_<code>` is accepted too but not listed.
pub fn all_names() -> impl Iterator<Item = (&'static str, Key)> {
    BY_NAME.iter().map(|&(n, c)| (n, Key(c)))
}

/// Longest input [`suggest`] considers; longer than any name plus the allowed distance.
const SUGGEST_MAX: usize = 32;

/// The accepted name closest to `name`, for "did you mean" hints: by optimal-string-alignment
/// distance (Levenshtein plus adjacent swaps), ignoring ASCII case, at most 2 edits away (1 for
/// inputs of up to 3 bytes). Ties go to canonical names, then to the first in byte order.
pub fn suggest(name: &str) -> Option<&'static str> {
    let input = name.as_bytes();
    if input.is_empty() || input.len() > SUGGEST_MAX {
        return None;
    }
    let limit = if input.len() <= 3 { 1 } else { 2 };
    let mut best: Option<(usize, bool, &'static str)> = None;
    for &(candidate, code) in BY_NAME.iter() {
        if candidate.len().abs_diff(input.len()) > limit {
            continue;
        }
        let d = distance(input, candidate.as_bytes());
        if d > limit {
            continue;
        }
        let canonical = NAMES[code as usize] == candidate;
        let better = match best {
            None => true,
            Some((bd, bc, _)) => d < bd || (d == bd && canonical && !bc),
        };
        if better {
            best = Some((d, canonical, candidate));
        }
    }
    best.map(|(_, _, n)| n)
}

/// The word among `candidates` closest to `word` (same measure and limits as [`suggest`]; `b`
/// must be lowercase ASCII): for "did you mean" hints about action and section names. Ties go
/// to the first candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = word.as_bytes();
    if input.is_empty() || input.len() > SUGGEST_MAX {
        return None;
    }
    let limit = if input.len() <= 3 { 1 } else { 2 };
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c.len().abs_diff(input.len()) > limit || c == word {
            continue;
        }
        let d = distance(input, c.as_bytes());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The edit distance [`suggest`] and [`closest`] use (ASCII case ignored in `a`), or `None`
/// when `a` is longer than they consider.
pub fn edit_distance(a: &str, b: &str) -> Option<usize> {
    (a.len() <= SUGGEST_MAX).then(|| distance(a.as_bytes(), b.as_bytes()))
}

/// Optimal-string-alignment distance between `a` (compared ASCII-lowercased, at most
/// [`SUGGEST_MAX`] bytes) and `b`, using three stack rows over `a`.
fn distance(a: &[u8], b: &[u8]) -> usize {
    let n = a.len();
    let mut prev2 = [0usize; SUGGEST_MAX + 1];
    let mut prev: [usize; SUGGEST_MAX + 1] = std::array::from_fn(|i| i);
    let mut cur = [0usize; SUGGEST_MAX + 1];
    for (j, &bj) in b.iter().enumerate() {
        cur[0] = j + 1;
        for i in 1..=n {
            let ai = a[i - 1].to_ascii_lowercase();
            let cost = usize::from(ai != bj);
            let mut d = (prev[i] + 1).min(cur[i - 1] + 1).min(prev[i - 1] + cost);
            if i > 1 && j > 0 && ai == b[j - 1] && a[i - 2].to_ascii_lowercase() == bj {
                d = d.min(prev2[i - 2] + 1);
            }
            cur[i] = d;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[n]
}

// ---- Generated tables (see the module docs). ----

/// Canonical name of every code; codes without one get their numbered form `key_<code>`.
static NAMES: [&str; KEY_CNT] = [
    "reserved",                 // 0x000
    "esc",                      // 0x001
    "1",                        // 0x002
    "2",                        // 0x003
    "3",                        // 0x004
    "4",                        // 0x005
    "5",                        // 0x006
    "6",                        // 0x007
    "7",                        // 0x008
    "8",                        // 0x009
    "9",                        // 0x00a
    "0",                        // 0x00b
    "minus",                    // 0x00c
    "equal",                    // 0x00d
    "backspace",                // 0x00e
    "tab",                      // 0x00f
    "q",                        // 0x010
    "w",                        // 0x011
    "e",                        // 0x012
    "r",                        // 0x013
    "t",                        // 0x014
    "y",                        // 0x015
    "u",                        // 0x016
    "i",                        // 0x017
    "o",                        // 0x018
    "p",                        // 0x019
    "leftbrace",                // 0x01a
    "rightbrace",               // 0x01b
    "enter",                    // 0x01c
    "leftcontrol",              // 0x01d
    "a",                        // 0x01e
    "s",                        // 0x01f
    "d",                        // 0x020
    "f",                        // 0x021
    "g",                        // 0x022
    "h",                        // 0x023
    "j",                        // 0x024
    "k",                        // 0x025
    "l",                        // 0x026
    "semicolon",                // 0x027
    "apostrophe",               // 0x028
    "grave",                    // 0x029
    "leftshift",                // 0x02a
    "backslash",                // 0x02b
    "z",                        // 0x02c
    "x",                        // 0x02d
    "c",                        // 0x02e
    "v",                        // 0x02f
    "b",                        // 0x030
    "n",                        // 0x031
    "m",                        // 0x032
    "comma",                    // 0x033
    "dot",                      // 0x034
    "slash",                    // 0x035
    "rightshift",               // 0x036
    "kpasterisk",               // 0x037
    "leftalt",                  // 0x038
    "space",                    // 0x039
    "capslock",                 // 0x03a
    "f1",                       // 0x03b
    "f2",                       // 0x03c
    "f3",                       // 0x03d
    "f4",                       // 0x03e
    "f5",                       // 0x03f
    "f6",                       // 0x040
    "f7",                       // 0x041
    "f8",                       // 0x042
    "f9",                       // 0x043
    "f10",                      // 0x044
    "numlock",                  // 0x045
    "scrolllock",               // 0x046
    "kp7",                      // 0x047
    "kp8",                      // 0x048
    "kp9",                      // 0x049
    "kpminus",                  // 0x04a
    "kp4",                      // 0x04b
    "kp5",                      // 0x04c
    "kp6",                      // 0x04d
    "kpplus",                   // 0x04e
    "kp1",                      // 0x04f
    "kp2",                      // 0x050
    "kp3",                      // 0x051
    "kp0",                      // 0x052
    "kpdot",                    // 0x053
    "iso-level3-shift",         // 0x054
    "zenkakuhankaku",           // 0x055
    "102nd",                    // 0x056
    "f11",                      // 0x057
    "f12",                      // 0x058
    "ro",                       // 0x059
    "katakana",                 // 0x05a
    "hiragana",                 // 0x05b
    "henkan",                   // 0x05c
    "katakanahiragana",         // 0x05d
    "muhenkan",                 // 0x05e
    "kpjpcomma",                // 0x05f
    "kpenter",                  // 0x060
    "rightcontrol",             // 0x061
    "kpslash",                  // 0x062
    "sysrq",                    // 0x063
    "rightalt",                 // 0x064
    "linefeed",                 // 0x065
    "home",                     // 0x066
    "up",                       // 0x067
    "pageup",                   // 0x068
    "left",                     // 0x069
    "right",                    // 0x06a
    "end",                      // 0x06b
    "down",                     // 0x06c
    "pagedown",                 // 0x06d
    "insert",                   // 0x06e
    "delete",                   // 0x06f
    "macro",                    // 0x070
    "mute",                     // 0x071
    "volumedown",               // 0x072
    "volumeup",                 // 0x073
    "power",                    // 0x074
    "kpequal",                  // 0x075
    "kpplusminus",              // 0x076
    "pause",                    // 0x077
    "scale",                    // 0x078
    "kpcomma",                  // 0x079
    "hangeul",                  // 0x07a
    "hanja",                    // 0x07b
    "yen",                      // 0x07c
    "leftmeta",                 // 0x07d
    "rightmeta",                // 0x07e
    "compose",                  // 0x07f
    "stop",                     // 0x080
    "again",                    // 0x081
    "props",                    // 0x082
    "undo",                     // 0x083
    "front",                    // 0x084
    "copy",                     // 0x085
    "open",                     // 0x086
    "paste",                    // 0x087
    "find",                     // 0x088
    "cut",                      // 0x089
    "help",                     // 0x08a
    "menu",                     // 0x08b
    "calc",                     // 0x08c
    "setup",                    // 0x08d
    "sleep",                    // 0x08e
    "wakeup",                   // 0x08f
    "file",                     // 0x090
    "sendfile",                 // 0x091
    "deletefile",               // 0x092
    "xfer",                     // 0x093
    "prog1",                    // 0x094
    "prog2",                    // 0x095
    "www",                      // 0x096
    "msdos",                    // 0x097
    "coffee",                   // 0x098
    "display",                  // 0x099
    "cyclewindows",             // 0x09a
    "mail",                     // 0x09b
    "bookmarks",                // 0x09c
    "computer",                 // 0x09d
    "back",                     // 0x09e
    "forward",                  // 0x09f
    "closecd",                  // 0x0a0
    "ejectcd",                  // 0x0a1
    "ejectclosecd",             // 0x0a2
    "nextsong",                 // 0x0a3
    "playpause",                // 0x0a4
    "previoussong",             // 0x0a5
    "stopcd",                   // 0x0a6
    "record",                   // 0x0a7
    "rewind",                   // 0x0a8
    "phone",                    // 0x0a9
    "iso",                      // 0x0aa
    "config",                   // 0x0ab
    "homepage",                 // 0x0ac
    "refresh",                  // 0x0ad
    "exit",                     // 0x0ae
    "move",                     // 0x0af
    "edit",                     // 0x0b0
    "scrollup",                 // 0x0b1
    "scrolldown",               // 0x0b2
    "kpleftparen",              // 0x0b3
    "kprightparen",             // 0x0b4
    "new",                      // 0x0b5
    "redo",                     // 0x0b6
    "f13",                      // 0x0b7
    "f14",                      // 0x0b8
    "f15",                      // 0x0b9
    "f16",                      // 0x0ba
    "f17",                      // 0x0bb
    "f18",                      // 0x0bc
    "f19",                      // 0x0bd
    "f20",                      // 0x0be
    "f21",                      // 0x0bf
    "f22",                      // 0x0c0
    "f23",                      // 0x0c1
    "f24",                      // 0x0c2
    "key_195",                  // 0x0c3
    "key_196",                  // 0x0c4
    "key_197",                  // 0x0c5
    "key_198",                  // 0x0c6
    "key_199",                  // 0x0c7
    "playcd",                   // 0x0c8
    "pausecd",                  // 0x0c9
    "prog3",                    // 0x0ca
    "prog4",                    // 0x0cb
    "dashboard",                // 0x0cc
    "suspend",                  // 0x0cd
    "close",                    // 0x0ce
    "play",                     // 0x0cf
    "fastforward",              // 0x0d0
    "bassboost",                // 0x0d1
    "print",                    // 0x0d2
    "hp",                       // 0x0d3
    "camera",                   // 0x0d4
    "sound",                    // 0x0d5
    "question",                 // 0x0d6
    "email",                    // 0x0d7
    "chat",                     // 0x0d8
    "search",                   // 0x0d9
    "connect",                  // 0x0da
    "finance",                  // 0x0db
    "sport",                    // 0x0dc
    "shop",                     // 0x0dd
    "alterase",                 // 0x0de
    "cancel",                   // 0x0df
    "brightnessdown",           // 0x0e0
    "brightnessup",             // 0x0e1
    "media",                    // 0x0e2
    "switchvideomode",          // 0x0e3
    "kbdillumtoggle",           // 0x0e4
    "kbdillumdown",             // 0x0e5
    "kbdillumup",               // 0x0e6
    "send",                     // 0x0e7
    "reply",                    // 0x0e8
    "forwardmail",              // 0x0e9
    "save",                     // 0x0ea
    "documents",                // 0x0eb
    "battery",                  // 0x0ec
    "bluetooth",                // 0x0ed
    "wlan",                     // 0x0ee
    "uwb",                      // 0x0ef
    "unknown",                  // 0x0f0
    "next",                     // 0x0f1
    "prev",                     // 0x0f2
    "cycle",                    // 0x0f3
    "auto",                     // 0x0f4
    "off",                      // 0x0f5
    "wwan",                     // 0x0f6
    "rfkill",                   // 0x0f7
    "micmute",                  // 0x0f8
    "key_249",                  // 0x0f9
    "key_250",                  // 0x0fa
    "key_251",                  // 0x0fb
    "key_252",                  // 0x0fc
    "key_253",                  // 0x0fd
    "key_254",                  // 0x0fe
    "key_255",                  // 0x0ff
    "btn_0",                    // 0x100
    "btn_1",                    // 0x101
    "btn_2",                    // 0x102
    "btn_3",                    // 0x103
    "btn_4",                    // 0x104
    "btn_5",                    // 0x105
    "btn_6",                    // 0x106
    "btn_7",                    // 0x107
    "btn_8",                    // 0x108
    "btn_9",                    // 0x109
    "key_266",                  // 0x10a
    "key_267",                  // 0x10b
    "key_268",                  // 0x10c
    "key_269",                  // 0x10d
    "key_270",                  // 0x10e
    "key_271",                  // 0x10f
    "leftmouse",                // 0x110
    "rightmouse",               // 0x111
    "middlemouse",              // 0x112
    "mouse1",                   // 0x113
    "mouse2",                   // 0x114
    "mouseforward",             // 0x115
    "mouseback",                // 0x116
    "btn_task",                 // 0x117
    "key_280",                  // 0x118
    "key_281",                  // 0x119
    "key_282",                  // 0x11a
    "key_283",                  // 0x11b
    "key_284",                  // 0x11c
    "key_285",                  // 0x11d
    "key_286",                  // 0x11e
    "key_287",                  // 0x11f
    "btn_trigger",              // 0x120
    "btn_thumb",                // 0x121
    "btn_thumb2",               // 0x122
    "btn_top",                  // 0x123
    "btn_top2",                 // 0x124
    "btn_pinkie",               // 0x125
    "btn_base",                 // 0x126
    "btn_base2",                // 0x127
    "btn_base3",                // 0x128
    "btn_base4",                // 0x129
    "btn_base5",                // 0x12a
    "btn_base6",                // 0x12b
    "key_300",                  // 0x12c
    "key_301",                  // 0x12d
    "key_302",                  // 0x12e
    "btn_dead",                 // 0x12f
    "btn_south",                // 0x130
    "btn_east",                 // 0x131
    "btn_c",                    // 0x132
    "btn_north",                // 0x133
    "btn_west",                 // 0x134
    "btn_z",                    // 0x135
    "btn_tl",                   // 0x136
    "btn_tr",                   // 0x137
    "btn_tl2",                  // 0x138
    "btn_tr2",                  // 0x139
    "btn_select",               // 0x13a
    "btn_start",                // 0x13b
    "btn_mode",                 // 0x13c
    "btn_thumbl",               // 0x13d
    "btn_thumbr",               // 0x13e
    "key_319",                  // 0x13f
    "btn_tool_pen",             // 0x140
    "btn_tool_rubber",          // 0x141
    "btn_tool_brush",           // 0x142
    "btn_tool_pencil",          // 0x143
    "btn_tool_airbrush",        // 0x144
    "btn_tool_finger",          // 0x145
    "btn_tool_mouse",           // 0x146
    "btn_tool_lens",            // 0x147
    "btn_tool_quinttap",        // 0x148
    "btn_stylus3",              // 0x149
    "btn_touch",                // 0x14a
    "btn_stylus",               // 0x14b
    "btn_stylus2",              // 0x14c
    "btn_tool_doubletap",       // 0x14d
    "btn_tool_tripletap",       // 0x14e
    "btn_tool_quadtap",         // 0x14f
    "btn_gear_down",            // 0x150
    "btn_gear_up",              // 0x151
    "key_338",                  // 0x152
    "key_339",                  // 0x153
    "key_340",                  // 0x154
    "key_341",                  // 0x155
    "key_342",                  // 0x156
    "key_343",                  // 0x157
    "key_344",                  // 0x158
    "key_345",                  // 0x159
    "key_346",                  // 0x15a
    "key_347",                  // 0x15b
    "key_348",                  // 0x15c
    "key_349",                  // 0x15d
    "key_350",                  // 0x15e
    "key_351",                  // 0x15f
    "ok",                       // 0x160
    "select",                   // 0x161
    "goto",                     // 0x162
    "clear",                    // 0x163
    "power2",                   // 0x164
    "option",                   // 0x165
    "info",                     // 0x166
    "time",                     // 0x167
    "vendor",                   // 0x168
    "archive",                  // 0x169
    "program",                  // 0x16a
    "channel",                  // 0x16b
    "favorites",                // 0x16c
    "epg",                      // 0x16d
    "pvr",                      // 0x16e
    "mhp",                      // 0x16f
    "language",                 // 0x170
    "title",                    // 0x171
    "subtitle",                 // 0x172
    "angle",                    // 0x173
    "zoom",                     // 0x174
    "mode",                     // 0x175
    "keyboard",                 // 0x176
    "aspect_ratio",             // 0x177
    "pc",                       // 0x178
    "tv",                       // 0x179
    "tv2",                      // 0x17a
    "vcr",                      // 0x17b
    "vcr2",                     // 0x17c
    "sat",                      // 0x17d
    "sat2",                     // 0x17e
    "cd",                       // 0x17f
    "tape",                     // 0x180
    "radio",                    // 0x181
    "tuner",                    // 0x182
    "player",                   // 0x183
    "text",                     // 0x184
    "dvd",                      // 0x185
    "aux",                      // 0x186
    "mp3",                      // 0x187
    "audio",                    // 0x188
    "video",                    // 0x189
    "directory",                // 0x18a
    "list",                     // 0x18b
    "memo",                     // 0x18c
    "calendar",                 // 0x18d
    "red",                      // 0x18e
    "green",                    // 0x18f
    "yellow",                   // 0x190
    "blue",                     // 0x191
    "channelup",                // 0x192
    "channeldown",              // 0x193
    "first",                    // 0x194
    "last",                     // 0x195
    "ab",                       // 0x196
    "key_next",                 // 0x197
    "restart",                  // 0x198
    "slow",                     // 0x199
    "shuffle",                  // 0x19a
    "break",                    // 0x19b
    "previous",                 // 0x19c
    "digits",                   // 0x19d
    "teen",                     // 0x19e
    "twen",                     // 0x19f
    "videophone",               // 0x1a0
    "games",                    // 0x1a1
    "zoomin",                   // 0x1a2
    "zoomout",                  // 0x1a3
    "zoomreset",                // 0x1a4
    "wordprocessor",            // 0x1a5
    "editor",                   // 0x1a6
    "spreadsheet",              // 0x1a7
    "graphicseditor",           // 0x1a8
    "presentation",             // 0x1a9
    "database",                 // 0x1aa
    "news",                     // 0x1ab
    "voicemail",                // 0x1ac
    "addressbook",              // 0x1ad
    "messenger",                // 0x1ae
    "displaytoggle",            // 0x1af
    "spellcheck",               // 0x1b0
    "logoff",                   // 0x1b1
    "dollar",                   // 0x1b2
    "euro",                     // 0x1b3
    "frameback",                // 0x1b4
    "frameforward",             // 0x1b5
    "context_menu",             // 0x1b6
    "media_repeat",             // 0x1b7
    "10channelsup",             // 0x1b8
    "10channelsdown",           // 0x1b9
    "images",                   // 0x1ba
    "key_443",                  // 0x1bb
    "notification_center",      // 0x1bc
    "pickup_phone",             // 0x1bd
    "hangup_phone",             // 0x1be
    "link_phone",               // 0x1bf
    "del_eol",                  // 0x1c0
    "del_eos",                  // 0x1c1
    "ins_line",                 // 0x1c2
    "del_line",                 // 0x1c3
    "key_452",                  // 0x1c4
    "key_453",                  // 0x1c5
    "key_454",                  // 0x1c6
    "key_455",                  // 0x1c7
    "key_456",                  // 0x1c8
    "key_457",                  // 0x1c9
    "key_458",                  // 0x1ca
    "key_459",                  // 0x1cb
    "key_460",                  // 0x1cc
    "key_461",                  // 0x1cd
    "key_462",                  // 0x1ce
    "key_463",                  // 0x1cf
    "fn",                       // 0x1d0
    "fn_esc",                   // 0x1d1
    "fn_f1",                    // 0x1d2
    "fn_f2",                    // 0x1d3
    "fn_f3",                    // 0x1d4
    "fn_f4",                    // 0x1d5
    "fn_f5",                    // 0x1d6
    "fn_f6",                    // 0x1d7
    "fn_f7",                    // 0x1d8
    "fn_f8",                    // 0x1d9
    "fn_f9",                    // 0x1da
    "fn_f10",                   // 0x1db
    "fn_f11",                   // 0x1dc
    "fn_f12",                   // 0x1dd
    "fn_1",                     // 0x1de
    "fn_2",                     // 0x1df
    "fn_d",                     // 0x1e0
    "fn_e",                     // 0x1e1
    "fn_f",                     // 0x1e2
    "fn_s",                     // 0x1e3
    "fn_b",                     // 0x1e4
    "fn_right_shift",           // 0x1e5
    "key_486",                  // 0x1e6
    "key_487",                  // 0x1e7
    "key_488",                  // 0x1e8
    "key_489",                  // 0x1e9
    "key_490",                  // 0x1ea
    "key_491",                  // 0x1eb
    "key_492",                  // 0x1ec
    "key_493",                  // 0x1ed
    "key_494",                  // 0x1ee
    "key_495",                  // 0x1ef
    "key_496",                  // 0x1f0
    "brl_dot1",                 // 0x1f1
    "brl_dot2",                 // 0x1f2
    "brl_dot3",                 // 0x1f3
    "brl_dot4",                 // 0x1f4
    "brl_dot5",                 // 0x1f5
    "brl_dot6",                 // 0x1f6
    "brl_dot7",                 // 0x1f7
    "brl_dot8",                 // 0x1f8
    "brl_dot9",                 // 0x1f9
    "brl_dot10",                // 0x1fa
    "key_507",                  // 0x1fb
    "key_508",                  // 0x1fc
    "key_509",                  // 0x1fd
    "key_510",                  // 0x1fe
    "key_511",                  // 0x1ff
    "numeric_0",                // 0x200
    "numeric_1",                // 0x201
    "numeric_2",                // 0x202
    "numeric_3",                // 0x203
    "numeric_4",                // 0x204
    "numeric_5",                // 0x205
    "numeric_6",                // 0x206
    "numeric_7",                // 0x207
    "numeric_8",                // 0x208
    "numeric_9",                // 0x209
    "numeric_star",             // 0x20a
    "numeric_pound",            // 0x20b
    "numeric_a",                // 0x20c
    "numeric_b",                // 0x20d
    "numeric_c",                // 0x20e
    "numeric_d",                // 0x20f
    "camera_focus",             // 0x210
    "wps_button",               // 0x211
    "touchpad_toggle",          // 0x212
    "touchpad_on",              // 0x213
    "touchpad_off",             // 0x214
    "camera_zoomin",            // 0x215
    "camera_zoomout",           // 0x216
    "camera_up",                // 0x217
    "camera_down",              // 0x218
    "camera_left",              // 0x219
    "camera_right",             // 0x21a
    "attendant_on",             // 0x21b
    "attendant_off",            // 0x21c
    "attendant_toggle",         // 0x21d
    "lights_toggle",            // 0x21e
    "key_543",                  // 0x21f
    "btn_dpad_up",              // 0x220
    "btn_dpad_down",            // 0x221
    "btn_dpad_left",            // 0x222
    "btn_dpad_right",           // 0x223
    "key_548",                  // 0x224
    "key_549",                  // 0x225
    "key_550",                  // 0x226
    "key_551",                  // 0x227
    "key_552",                  // 0x228
    "key_553",                  // 0x229
    "key_554",                  // 0x22a
    "key_555",                  // 0x22b
    "key_556",                  // 0x22c
    "key_557",                  // 0x22d
    "key_558",                  // 0x22e
    "key_559",                  // 0x22f
    "als_toggle",               // 0x230
    "rotate_lock_toggle",       // 0x231
    "refresh_rate_toggle",      // 0x232
    "key_563",                  // 0x233
    "key_564",                  // 0x234
    "key_565",                  // 0x235
    "key_566",                  // 0x236
    "key_567",                  // 0x237
    "key_568",                  // 0x238
    "key_569",                  // 0x239
    "key_570",                  // 0x23a
    "key_571",                  // 0x23b
    "key_572",                  // 0x23c
    "key_573",                  // 0x23d
    "key_574",                  // 0x23e
    "key_575",                  // 0x23f
    "buttonconfig",             // 0x240
    "taskmanager",              // 0x241
    "journal",                  // 0x242
    "controlpanel",             // 0x243
    "appselect",                // 0x244
    "screensaver",              // 0x245
    "voicecommand",             // 0x246
    "assistant",                // 0x247
    "kbd_layout_next",          // 0x248
    "emoji_picker",             // 0x249
    "dictate",                  // 0x24a
    "key_587",                  // 0x24b
    "key_588",                  // 0x24c
    "key_589",                  // 0x24d
    "key_590",                  // 0x24e
    "key_591",                  // 0x24f
    "brightness_min",           // 0x250
    "brightness_max",           // 0x251
    "key_594",                  // 0x252
    "key_595",                  // 0x253
    "key_596",                  // 0x254
    "key_597",                  // 0x255
    "key_598",                  // 0x256
    "key_599",                  // 0x257
    "key_600",                  // 0x258
    "key_601",                  // 0x259
    "key_602",                  // 0x25a
    "key_603",                  // 0x25b
    "key_604",                  // 0x25c
    "key_605",                  // 0x25d
    "key_606",                  // 0x25e
    "key_607",                  // 0x25f
    "kbdinputassist_prev",      // 0x260
    "kbdinputassist_next",      // 0x261
    "kbdinputassist_prevgroup", // 0x262
    "kbdinputassist_nextgroup", // 0x263
    "kbdinputassist_accept",    // 0x264
    "kbdinputassist_cancel",    // 0x265
    "right_up",                 // 0x266
    "right_down",               // 0x267
    "left_up",                  // 0x268
    "left_down",                // 0x269
    "root_menu",                // 0x26a
    "media_top_menu",           // 0x26b
    "numeric_11",               // 0x26c
    "numeric_12",               // 0x26d
    "audio_desc",               // 0x26e
    "3d_mode",                  // 0x26f
    "next_favorite",            // 0x270
    "stop_record",              // 0x271
    "pause_record",             // 0x272
    "vod",                      // 0x273
    "unmute",                   // 0x274
    "fastreverse",              // 0x275
    "slowreverse",              // 0x276
    "data",                     // 0x277
    "onscreen_keyboard",        // 0x278
    "privacy_screen_toggle",    // 0x279
    "selective_screenshot",     // 0x27a
    "next_element",             // 0x27b
    "previous_element",         // 0x27c
    "autopilot_engage_toggle",  // 0x27d
    "mark_waypoint",            // 0x27e
    "sos",                      // 0x27f
    "nav_chart",                // 0x280
    "fishing_chart",            // 0x281
    "single_range_radar",       // 0x282
    "dual_range_radar",         // 0x283
    "radar_overlay",            // 0x284
    "traditional_sonar",        // 0x285
    "clearvu_sonar",            // 0x286
    "sidevu_sonar",             // 0x287
    "nav_info",                 // 0x288
    "brightness_menu",          // 0x289
    "key_650",                  // 0x28a
    "key_651",                  // 0x28b
    "key_652",                  // 0x28c
    "key_653",                  // 0x28d
    "key_654",                  // 0x28e
    "key_655",                  // 0x28f
    "macro1",                   // 0x290
    "macro2",                   // 0x291
    "macro3",                   // 0x292
    "macro4",                   // 0x293
    "macro5",                   // 0x294
    "macro6",                   // 0x295
    "macro7",                   // 0x296
    "macro8",                   // 0x297
    "macro9",                   // 0x298
    "macro10",                  // 0x299
    "macro11",                  // 0x29a
    "macro12",                  // 0x29b
    "macro13",                  // 0x29c
    "macro14",                  // 0x29d
    "macro15",                  // 0x29e
    "macro16",                  // 0x29f
    "macro17",                  // 0x2a0
    "macro18",                  // 0x2a1
    "macro19",                  // 0x2a2
    "macro20",                  // 0x2a3
    "macro21",                  // 0x2a4
    "macro22",                  // 0x2a5
    "macro23",                  // 0x2a6
    "macro24",                  // 0x2a7
    "macro25",                  // 0x2a8
    "macro26",                  // 0x2a9
    "macro27",                  // 0x2aa
    "macro28",                  // 0x2ab
    "macro29",                  // 0x2ac
    "macro30",                  // 0x2ad
    "key_686",                  // 0x2ae
    "key_687",                  // 0x2af
    "macro_record_start",       // 0x2b0
    "macro_record_stop",        // 0x2b1
    "macro_preset_cycle",       // 0x2b2
    "macro_preset1",            // 0x2b3
    "macro_preset2",            // 0x2b4
    "macro_preset3",            // 0x2b5
    "key_694",                  // 0x2b6
    "key_695",                  // 0x2b7
    "kbd_lcd_menu1",            // 0x2b8
    "kbd_lcd_menu2",            // 0x2b9
    "kbd_lcd_menu3",            // 0x2ba
    "kbd_lcd_menu4",            // 0x2bb
    "kbd_lcd_menu5",            // 0x2bc
    "key_701",                  // 0x2bd
    "key_702",                  // 0x2be
    "key_703",                  // 0x2bf
    "btn_trigger_happy1",       // 0x2c0
    "btn_trigger_happy2",       // 0x2c1
    "btn_trigger_happy3",       // 0x2c2
    "btn_trigger_happy4",       // 0x2c3
    "btn_trigger_happy5",       // 0x2c4
    "btn_trigger_happy6",       // 0x2c5
    "btn_trigger_happy7",       // 0x2c6
    "btn_trigger_happy8",       // 0x2c7
    "btn_trigger_happy9",       // 0x2c8
    "btn_trigger_happy10",      // 0x2c9
    "btn_trigger_happy11",      // 0x2ca
    "btn_trigger_happy12",      // 0x2cb
    "btn_trigger_happy13",      // 0x2cc
    "btn_trigger_happy14",      // 0x2cd
    "btn_trigger_happy15",      // 0x2ce
    "btn_trigger_happy16",      // 0x2cf
    "btn_trigger_happy17",      // 0x2d0
    "btn_trigger_happy18",      // 0x2d1
    "btn_trigger_happy19",      // 0x2d2
    "btn_trigger_happy20",      // 0x2d3
    "btn_trigger_happy21",      // 0x2d4
    "btn_trigger_happy22",      // 0x2d5
    "btn_trigger_happy23",      // 0x2d6
    "btn_trigger_happy24",      // 0x2d7
    "btn_trigger_happy25",      // 0x2d8
    "btn_trigger_happy26",      // 0x2d9
    "btn_trigger_happy27",      // 0x2da
    "btn_trigger_happy28",      // 0x2db
    "btn_trigger_happy29",      // 0x2dc
    "btn_trigger_happy30",      // 0x2dd
    "btn_trigger_happy31",      // 0x2de
    "btn_trigger_happy32",      // 0x2df
    "btn_trigger_happy33",      // 0x2e0
    "btn_trigger_happy34",      // 0x2e1
    "btn_trigger_happy35",      // 0x2e2
    "btn_trigger_happy36",      // 0x2e3
    "btn_trigger_happy37",      // 0x2e4
    "btn_trigger_happy38",      // 0x2e5
    "btn_trigger_happy39",      // 0x2e6
    "btn_trigger_happy40",      // 0x2e7
    "key_744",                  // 0x2e8
    "key_745",                  // 0x2e9
    "key_746",                  // 0x2ea
    "key_747",                  // 0x2eb
    "key_748",                  // 0x2ec
    "key_749",                  // 0x2ed
    "key_750",                  // 0x2ee
    "key_751",                  // 0x2ef
    "key_752",                  // 0x2f0
    "key_753",                  // 0x2f1
    "key_754",                  // 0x2f2
    "key_755",                  // 0x2f3
    "key_756",                  // 0x2f4
    "key_757",                  // 0x2f5
    "key_758",                  // 0x2f6
    "key_759",                  // 0x2f7
    "key_760",                  // 0x2f8
    "key_761",                  // 0x2f9
    "key_762",                  // 0x2fa
    "key_763",                  // 0x2fb
    "key_764",                  // 0x2fc
    "key_765",                  // 0x2fd
    "key_766",                  // 0x2fe
    "key_767",                  // 0x2ff
];

/// Every accepted name (canonical, kernel spellings, keyd spellings) and its code, sorted by
/// bytes for binary search.
static BY_NAME: [(&str, u16); 660] = [
    ("'", 0x028),
    (",", 0x033),
    ("-", 0x00c),
    (".", 0x034),
    ("/", 0x035),
    ("0", 0x00b),
    ("1", 0x002),
    ("102nd", 0x056),
    ("10channelsdown", 0x1b9),
    ("10channelsup", 0x1b8),
    ("2", 0x003),
    ("3", 0x004),
    ("3d_mode", 0x26f),
    ("4", 0x005),
    ("5", 0x006),
    ("6", 0x007),
    ("7", 0x008),
    ("8", 0x009),
    ("9", 0x00a),
    (";", 0x027),
    ("=", 0x00d),
    ("[", 0x01a),
    ("\\", 0x02b),
    ("]", 0x01b),
    ("`", 0x029),
    ("a", 0x01e),
    ("ab", 0x196),
    ("addressbook", 0x1ad),
    ("again", 0x081),
    ("all_applications", 0x0cc),
    ("als_toggle", 0x230),
    ("alterase", 0x0de),
    ("angle", 0x173),
    ("apostrophe", 0x028),
    ("appselect", 0x244),
    ("archive", 0x169),
    ("aspect_ratio", 0x177),
    ("assistant", 0x247),
    ("attendant_off", 0x21c),
    ("attendant_on", 0x21b),
    ("attendant_toggle", 0x21d),
    ("audio", 0x188),
    ("audio_desc", 0x26e),
    ("auto", 0x0f4),
    ("autopilot_engage_toggle", 0x27d),
    ("aux", 0x186),
    ("b", 0x030),
    ("back", 0x09e),
    ("backslash", 0x02b),
    ("backspace", 0x00e),
    ("bassboost", 0x0d1),
    ("battery", 0x0ec),
    ("blue", 0x191),
    ("bluetooth", 0x0ed),
    ("bookmarks", 0x09c),
    ("break", 0x19b),
    ("brightness_auto", 0x0f4),
    ("brightness_cycle", 0x0f3),
    ("brightness_max", 0x251),
    ("brightness_menu", 0x289),
    ("brightness_min", 0x250),
    ("brightness_toggle", 0x1af),
    ("brightness_zero", 0x0f4),
    ("brightnessdown", 0x0e0),
    ("brightnessup", 0x0e1),
    ("brl_dot1", 0x1f1),
    ("brl_dot10", 0x1fa),
    ("brl_dot2", 0x1f2),
    ("brl_dot3", 0x1f3),
    ("brl_dot4", 0x1f4),
    ("brl_dot5", 0x1f5),
    ("brl_dot6", 0x1f6),
    ("brl_dot7", 0x1f7),
    ("brl_dot8", 0x1f8),
    ("brl_dot9", 0x1f9),
    ("btn_0", 0x100),
    ("btn_1", 0x101),
    ("btn_2", 0x102),
    ("btn_3", 0x103),
    ("btn_4", 0x104),
    ("btn_5", 0x105),
    ("btn_6", 0x106),
    ("btn_7", 0x107),
    ("btn_8", 0x108),
    ("btn_9", 0x109),
    ("btn_a", 0x130),
    ("btn_b", 0x131),
    ("btn_back", 0x116),
    ("btn_base", 0x126),
    ("btn_base2", 0x127),
    ("btn_base3", 0x128),
    ("btn_base4", 0x129),
    ("btn_base5", 0x12a),
    ("btn_base6", 0x12b),
    ("btn_c", 0x132),
    ("btn_dead", 0x12f),
    ("btn_digi", 0x140),
    ("btn_dpad_down", 0x221),
    ("btn_dpad_left", 0x222),
    ("btn_dpad_right", 0x223),
    ("btn_dpad_up", 0x220),
    ("btn_east", 0x131),
    ("btn_extra", 0x114),
    ("btn_forward", 0x115),
    ("btn_gamepad", 0x130),
    ("btn_gear_down", 0x150),
    ("btn_gear_up", 0x151),
    ("btn_joystick", 0x120),
    ("btn_left", 0x110),
    ("btn_middle", 0x112),
    ("btn_misc", 0x100),
    ("btn_mode", 0x13c),
    ("btn_mouse", 0x110),
    ("btn_north", 0x133),
    ("btn_pinkie", 0x125),
    ("btn_right", 0x111),
    ("btn_select", 0x13a),
    ("btn_side", 0x113),
    ("btn_south", 0x130),
    ("btn_start", 0x13b),
    ("btn_stylus", 0x14b),
    ("btn_stylus2", 0x14c),
    ("btn_stylus3", 0x149),
    ("btn_task", 0x117),
    ("btn_thumb", 0x121),
    ("btn_thumb2", 0x122),
    ("btn_thumbl", 0x13d),
    ("btn_thumbr", 0x13e),
    ("btn_tl", 0x136),
    ("btn_tl2", 0x138),
    ("btn_tool_airbrush", 0x144),
    ("btn_tool_brush", 0x142),
    ("btn_tool_doubletap", 0x14d),
    ("btn_tool_finger", 0x145),
    ("btn_tool_lens", 0x147),
    ("btn_tool_mouse", 0x146),
    ("btn_tool_pen", 0x140),
    ("btn_tool_pencil", 0x143),
    ("btn_tool_quadtap", 0x14f),
    ("btn_tool_quinttap", 0x148),
    ("btn_tool_rubber", 0x141),
    ("btn_tool_tripletap", 0x14e),
    ("btn_top", 0x123),
    ("btn_top2", 0x124),
    ("btn_touch", 0x14a),
    ("btn_tr", 0x137),
    ("btn_tr2", 0x139),
    ("btn_trigger", 0x120),
    ("btn_trigger_happy", 0x2c0),
    ("btn_trigger_happy1", 0x2c0),
    ("btn_trigger_happy10", 0x2c9),
    ("btn_trigger_happy11", 0x2ca),
    ("btn_trigger_happy12", 0x2cb),
    ("btn_trigger_happy13", 0x2cc),
    ("btn_trigger_happy14", 0x2cd),
    ("btn_trigger_happy15", 0x2ce),
    ("btn_trigger_happy16", 0x2cf),
    ("btn_trigger_happy17", 0x2d0),
    ("btn_trigger_happy18", 0x2d1),
    ("btn_trigger_happy19", 0x2d2),
    ("btn_trigger_happy2", 0x2c1),
    ("btn_trigger_happy20", 0x2d3),
    ("btn_trigger_happy21", 0x2d4),
    ("btn_trigger_happy22", 0x2d5),
    ("btn_trigger_happy23", 0x2d6),
    ("btn_trigger_happy24", 0x2d7),
    ("btn_trigger_happy25", 0x2d8),
    ("btn_trigger_happy26", 0x2d9),
    ("btn_trigger_happy27", 0x2da),
    ("btn_trigger_happy28", 0x2db),
    ("btn_trigger_happy29", 0x2dc),
    ("btn_trigger_happy3", 0x2c2),
    ("btn_trigger_happy30", 0x2dd),
    ("btn_trigger_happy31", 0x2de),
    ("btn_trigger_happy32", 0x2df),
    ("btn_trigger_happy33", 0x2e0),
    ("btn_trigger_happy34", 0x2e1),
    ("btn_trigger_happy35", 0x2e2),
    ("btn_trigger_happy36", 0x2e3),
    ("btn_trigger_happy37", 0x2e4),
    ("btn_trigger_happy38", 0x2e5),
    ("btn_trigger_happy39", 0x2e6),
    ("btn_trigger_happy4", 0x2c3),
    ("btn_trigger_happy40", 0x2e7),
    ("btn_trigger_happy5", 0x2c4),
    ("btn_trigger_happy6", 0x2c5),
    ("btn_trigger_happy7", 0x2c6),
    ("btn_trigger_happy8", 0x2c7),
    ("btn_trigger_happy9", 0x2c8),
    ("btn_west", 0x134),
    ("btn_wheel", 0x150),
    ("btn_x", 0x133),
    ("btn_y", 0x134),
    ("btn_z", 0x135),
    ("buttonconfig", 0x240),
    ("c", 0x02e),
    ("calc", 0x08c),
    ("calendar", 0x18d),
    ("camera", 0x0d4),
    ("camera_down", 0x218),
    ("camera_focus", 0x210),
    ("camera_left", 0x219),
    ("camera_right", 0x21a),
    ("camera_up", 0x217),
    ("camera_zoomin", 0x215),
    ("camera_zoomout", 0x216),
    ("cancel", 0x0df),
    ("capslock", 0x03a),
    ("cd", 0x17f),
    ("channel", 0x16b),
    ("channeldown", 0x193),
    ("channelup", 0x192),
    ("chat", 0x0d8),
    ("clear", 0x163),
    ("clearvu_sonar", 0x286),
    ("close", 0x0ce),
    ("closecd", 0x0a0),
    ("coffee", 0x098),
    ("comma", 0x033),
    ("compose", 0x07f),
    ("computer", 0x09d),
    ("config", 0x0ab),
    ("connect", 0x0da),
    ("context_menu", 0x1b6),
    ("controlpanel", 0x243),
    ("copy", 0x085),
    ("cut", 0x089),
    ("cycle", 0x0f3),
    ("cyclewindows", 0x09a),
    ("d", 0x020),
    ("dashboard", 0x0cc),
    ("data", 0x277),
    ("database", 0x1aa),
    ("del_eol", 0x1c0),
    ("del_eos", 0x1c1),
    ("del_line", 0x1c3),
    ("delete", 0x06f),
    ("deletefile", 0x092),
    ("dictate", 0x24a),
    ("digits", 0x19d),
    ("direction", 0x099),
    ("directory", 0x18a),
    ("display", 0x099),
    ("display_off", 0x0f5),
    ("displaytoggle", 0x1af),
    ("documents", 0x0eb),
    ("dollar", 0x1b2),
    ("dot", 0x034),
    ("down", 0x06c),
    ("dual_range_radar", 0x283),
    ("dvd", 0x185),
    ("e", 0x012),
    ("edit", 0x0b0),
    ("editor", 0x1a6),
    ("ejectcd", 0x0a1),
    ("ejectclosecd", 0x0a2),
    ("email", 0x0d7),
    ("emoji_picker", 0x249),
    ("end", 0x06b),
    ("enter", 0x01c),
    ("epg", 0x16d),
    ("equal", 0x00d),
    ("esc", 0x001),
    ("escape", 0x001),
    ("euro", 0x1b3),
    ("exit", 0x0ae),
    ("f", 0x021),
    ("f1", 0x03b),
    ("f10", 0x044),
    ("f11", 0x057),
    ("f12", 0x058),
    ("f13", 0x0b7),
    ("f14", 0x0b8),
    ("f15", 0x0b9),
    ("f16", 0x0ba),
    ("f17", 0x0bb),
    ("f18", 0x0bc),
    ("f19", 0x0bd),
    ("f2", 0x03c),
    ("f20", 0x0be),
    ("f21", 0x0bf),
    ("f22", 0x0c0),
    ("f23", 0x0c1),
    ("f24", 0x0c2),
    ("f3", 0x03d),
    ("f4", 0x03e),
    ("f5", 0x03f),
    ("f6", 0x040),
    ("f7", 0x041),
    ("f8", 0x042),
    ("f9", 0x043),
    ("fastforward", 0x0d0),
    ("fastreverse", 0x275),
    ("favorites", 0x16c),
    ("file", 0x090),
    ("finance", 0x0db),
    ("find", 0x088),
    ("first", 0x194),
    ("fishing_chart", 0x281),
    ("fn", 0x1d0),
    ("fn_1", 0x1de),
    ("fn_2", 0x1df),
    ("fn_b", 0x1e4),
    ("fn_d", 0x1e0),
    ("fn_e", 0x1e1),
    ("fn_esc", 0x1d1),
    ("fn_f", 0x1e2),
    ("fn_f1", 0x1d2),
    ("fn_f10", 0x1db),
    ("fn_f11", 0x1dc),
    ("fn_f12", 0x1dd),
    ("fn_f2", 0x1d3),
    ("fn_f3", 0x1d4),
    ("fn_f4", 0x1d5),
    ("fn_f5", 0x1d6),
    ("fn_f6", 0x1d7),
    ("fn_f7", 0x1d8),
    ("fn_f8", 0x1d9),
    ("fn_f9", 0x1da),
    ("fn_right_shift", 0x1e5),
    ("fn_s", 0x1e3),
    ("forward", 0x09f),
    ("forwardmail", 0x0e9),
    ("frameback", 0x1b4),
    ("frameforward", 0x1b5),
    ("front", 0x084),
    ("full_screen", 0x174),
    ("g", 0x022),
    ("games", 0x1a1),
    ("goto", 0x162),
    ("graphicseditor", 0x1a8),
    ("grave", 0x029),
    ("green", 0x18f),
    ("h", 0x023),
    ("hangeul", 0x07a),
    ("hanguel", 0x07a),
    ("hangup_phone", 0x1be),
    ("hanja", 0x07b),
    ("help", 0x08a),
    ("henkan", 0x05c),
    ("hiragana", 0x05b),
    ("home", 0x066),
    ("homepage", 0x0ac),
    ("hp", 0x0d3),
    ("i", 0x017),
    ("images", 0x1ba),
    ("info", 0x166),
    ("ins_line", 0x1c2),
    ("insert", 0x06e),
    ("iso", 0x0aa),
    ("iso-level3-shift", 0x054),
    ("j", 0x024),
    ("journal", 0x242),
    ("k", 0x025),
    ("katakana", 0x05a),
    ("katakanahiragana", 0x05d),
    ("kbd_layout_next", 0x248),
    ("kbd_lcd_menu1", 0x2b8),
    ("kbd_lcd_menu2", 0x2b9),
    ("kbd_lcd_menu3", 0x2ba),
    ("kbd_lcd_menu4", 0x2bb),
    ("kbd_lcd_menu5", 0x2bc),
    ("kbdillumdown", 0x0e5),
    ("kbdillumtoggle", 0x0e4),
    ("kbdillumup", 0x0e6),
    ("kbdinputassist_accept", 0x264),
    ("kbdinputassist_cancel", 0x265),
    ("kbdinputassist_next", 0x261),
    ("kbdinputassist_nextgroup", 0x263),
    ("kbdinputassist_prev", 0x260),
    ("kbdinputassist_prevgroup", 0x262),
    ("key_next", 0x197),
    ("keyboard", 0x176),
    ("kp0", 0x052),
    ("kp1", 0x04f),
    ("kp2", 0x050),
    ("kp3", 0x051),
    ("kp4", 0x04b),
    ("kp5", 0x04c),
    ("kp6", 0x04d),
    ("kp7", 0x047),
    ("kp8", 0x048),
    ("kp9", 0x049),
    ("kpasterisk", 0x037),
    ("kpcomma", 0x079),
    ("kpdot", 0x053),
    ("kpenter", 0x060),
    ("kpequal", 0x075),
    ("kpjpcomma", 0x05f),
    ("kpleftparen", 0x0b3),
    ("kpminus", 0x04a),
    ("kpplus", 0x04e),
    ("kpplusminus", 0x076),
    ("kprightparen", 0x0b4),
    ("kpslash", 0x062),
    ("l", 0x026),
    ("language", 0x170),
    ("last", 0x195),
    ("left", 0x069),
    ("left_down", 0x269),
    ("left_up", 0x268),
    ("leftalt", 0x038),
    ("leftbrace", 0x01a),
    ("leftcontrol", 0x01d),
    ("leftctrl", 0x01d),
    ("leftmeta", 0x07d),
    ("leftmouse", 0x110),
    ("leftshift", 0x02a),
    ("lights_toggle", 0x21e),
    ("linefeed", 0x065),
    ("link_phone", 0x1bf),
    ("list", 0x18b),
    ("logoff", 0x1b1),
    ("m", 0x032),
    ("macro", 0x070),
    ("macro1", 0x290),
    ("macro10", 0x299),
    ("macro11", 0x29a),
    ("macro12", 0x29b),
    ("macro13", 0x29c),
    ("macro14", 0x29d),
    ("macro15", 0x29e),
    ("macro16", 0x29f),
    ("macro17", 0x2a0),
    ("macro18", 0x2a1),
    ("macro19", 0x2a2),
    ("macro2", 0x291),
    ("macro20", 0x2a3),
    ("macro21", 0x2a4),
    ("macro22", 0x2a5),
    ("macro23", 0x2a6),
    ("macro24", 0x2a7),
    ("macro25", 0x2a8),
    ("macro26", 0x2a9),
    ("macro27", 0x2aa),
    ("macro28", 0x2ab),
    ("macro29", 0x2ac),
    ("macro3", 0x292),
    ("macro30", 0x2ad),
    ("macro4", 0x293),
    ("macro5", 0x294),
    ("macro6", 0x295),
    ("macro7", 0x296),
    ("macro8", 0x297),
    ("macro9", 0x298),
    ("macro_preset1", 0x2b3),
    ("macro_preset2", 0x2b4),
    ("macro_preset3", 0x2b5),
    ("macro_preset_cycle", 0x2b2),
    ("macro_record_start", 0x2b0),
    ("macro_record_stop", 0x2b1),
    ("mail", 0x09b),
    ("mark_waypoint", 0x27e),
    ("media", 0x0e2),
    ("media_repeat", 0x1b7),
    ("media_top_menu", 0x26b),
    ("memo", 0x18c),
    ("menu", 0x08b),
    ("messenger", 0x1ae),
    ("mhp", 0x16f),
    ("micmute", 0x0f8),
    ("middlemouse", 0x112),
    ("minus", 0x00c),
    ("mode", 0x175),
    ("mouse1", 0x113),
    ("mouse2", 0x114),
    ("mouseback", 0x116),
    ("mouseforward", 0x115),
    ("move", 0x0af),
    ("mp3", 0x187),
    ("msdos", 0x097),
    ("muhenkan", 0x05e),
    ("mute", 0x071),
    ("n", 0x031),
    ("nav_chart", 0x280),
    ("nav_info", 0x288),
    ("new", 0x0b5),
    ("news", 0x1ab),
    ("next", 0x0f1),
    ("next_element", 0x27b),
    ("next_favorite", 0x270),
    ("nextsong", 0x0a3),
    ("notification_center", 0x1bc),
    ("numeric_0", 0x200),
    ("numeric_1", 0x201),
    ("numeric_11", 0x26c),
    ("numeric_12", 0x26d),
    ("numeric_2", 0x202),
    ("numeric_3", 0x203),
    ("numeric_4", 0x204),
    ("numeric_5", 0x205),
    ("numeric_6", 0x206),
    ("numeric_7", 0x207),
    ("numeric_8", 0x208),
    ("numeric_9", 0x209),
    ("numeric_a", 0x20c),
    ("numeric_b", 0x20d),
    ("numeric_c", 0x20e),
    ("numeric_d", 0x20f),
    ("numeric_pound", 0x20b),
    ("numeric_star", 0x20a),
    ("numlock", 0x045),
    ("o", 0x018),
    ("off", 0x0f5),
    ("ok", 0x160),
    ("onscreen_keyboard", 0x278),
    ("open", 0x086),
    ("option", 0x165),
    ("p", 0x019),
    ("pagedown", 0x06d),
    ("pageup", 0x068),
    ("paste", 0x087),
    ("pause", 0x077),
    ("pause_record", 0x272),
    ("pausecd", 0x0c9),
    ("pc", 0x178),
    ("phone", 0x0a9),
    ("pickup_phone", 0x1bd),
    ("play", 0x0cf),
    ("playcd", 0x0c8),
    ("player", 0x183),
    ("playpause", 0x0a4),
    ("power", 0x074),
    ("power2", 0x164),
    ("presentation", 0x1a9),
    ("prev", 0x0f2),
    ("previous", 0x19c),
    ("previous_element", 0x27c),
    ("previoussong", 0x0a5),
    ("print", 0x0d2),
    ("privacy_screen_toggle", 0x279),
    ("prog1", 0x094),
    ("prog2", 0x095),
    ("prog3", 0x0ca),
    ("prog4", 0x0cb),
    ("program", 0x16a),
    ("props", 0x082),
    ("pvr", 0x16e),
    ("q", 0x010),
    ("question", 0x0d6),
    ("r", 0x013),
    ("radar_overlay", 0x284),
    ("radio", 0x181),
    ("record", 0x0a7),
    ("red", 0x18e),
    ("redo", 0x0b6),
    ("refresh", 0x0ad),
    ("refresh_rate_toggle", 0x232),
    ("reply", 0x0e8),
    ("reserved", 0x000),
    ("restart", 0x198),
    ("rewind", 0x0a8),
    ("rfkill", 0x0f7),
    ("right", 0x06a),
    ("right_down", 0x267),
    ("right_up", 0x266),
    ("rightalt", 0x064),
    ("rightbrace", 0x01b),
    ("rightcontrol", 0x061),
    ("rightctrl", 0x061),
    ("rightmeta", 0x07e),
    ("rightmouse", 0x111),
    ("rightshift", 0x036),
    ("ro", 0x059),
    ("root_menu", 0x26a),
    ("rotate_display", 0x099),
    ("rotate_lock_toggle", 0x231),
    ("s", 0x01f),
    ("sat", 0x17d),
    ("sat2", 0x17e),
    ("save", 0x0ea),
    ("scale", 0x078),
    ("screen", 0x177),
    ("screenlock", 0x098),
    ("screensaver", 0x245),
    ("scrolldown", 0x0b2),
    ("scrolllock", 0x046),
    ("scrollup", 0x0b1),
    ("search", 0x0d9),
    ("select", 0x161),
    ("selective_screenshot", 0x27a),
    ("semicolon", 0x027),
    ("send", 0x0e7),
    ("sendfile", 0x091),
    ("setup", 0x08d),
    ("shop", 0x0dd),
    ("shuffle", 0x19a),
    ("sidevu_sonar", 0x287),
    ("single_range_radar", 0x282),
    ("slash", 0x035),
    ("sleep", 0x08e),
    ("slow", 0x199),
    ("slowreverse", 0x276),
    ("sos", 0x27f),
    ("sound", 0x0d5),
    ("space", 0x039),
    ("spellcheck", 0x1b0),
    ("sport", 0x0dc),
    ("spreadsheet", 0x1a7),
    ("stop", 0x080),
    ("stop_record", 0x271),
    ("stopcd", 0x0a6),
    ("subtitle", 0x172),
    ("suspend", 0x0cd),
    ("switchvideomode", 0x0e3),
    ("sysrq", 0x063),
    ("t", 0x014),
    ("tab", 0x00f),
    ("tape", 0x180),
    ("taskmanager", 0x241),
    ("teen", 0x19e),
    ("text", 0x184),
    ("time", 0x167),
    ("title", 0x171),
    ("touchpad_off", 0x214),
    ("touchpad_on", 0x213),
    ("touchpad_toggle", 0x212),
    ("traditional_sonar", 0x285),
    ("tuner", 0x182),
    ("tv", 0x179),
    ("tv2", 0x17a),
    ("twen", 0x19f),
    ("u", 0x016),
    ("undo", 0x083),
    ("unknown", 0x0f0),
    ("unmute", 0x274),
    ("up", 0x067),
    ("uwb", 0x0ef),
    ("v", 0x02f),
    ("vcr", 0x17b),
    ("vcr2", 0x17c),
    ("vendor", 0x168),
    ("video", 0x189),
    ("video_next", 0x0f1),
    ("video_prev", 0x0f2),
    ("videophone", 0x1a0),
    ("vod", 0x273),
    ("voicecommand", 0x246),
    ("voicemail", 0x1ac),
    ("volumedown", 0x072),
    ("volumeup", 0x073),
    ("w", 0x011),
    ("wakeup", 0x08f),
    ("wimax", 0x0f6),
    ("wlan", 0x0ee),
    ("wordprocessor", 0x1a5),
    ("wps_button", 0x211),
    ("wwan", 0x0f6),
    ("www", 0x096),
    ("x", 0x02d),
    ("xfer", 0x093),
    ("y", 0x015),
    ("yellow", 0x190),
    ("yen", 0x07c),
    ("z", 0x02c),
    ("zenkakuhankaku", 0x055),
    ("zoom", 0x174),
    ("zoomin", 0x1a2),
    ("zoomout", 0x1a3),
    ("zoomreset", 0x1a4),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn code(name: &str) -> Option<u16> {
        Key::from_name(name).map(Key::code)
    }

    #[test]
    fn keys_canonical_names_round_trip_and_are_unique() {
        let mut seen = HashSet::new();
        for (key, name) in canonical_names() {
            assert_eq!(Key::from_name(name), Some(key), "{name}");
            assert_eq!(key.name(), name);
            assert!(seen.insert(name), "canonical name {name} used twice");
        }
    }

    #[test]
    fn keys_every_accepted_name_maps_to_one_code() {
        let mut map: HashMap<&str, Key> = HashMap::new();
        for (name, key) in all_names() {
            assert!(map.insert(name, key).is_none(), "{name} listed twice");
            assert_eq!(Key::from_name(name), Some(key), "{name}");
            assert!(key.has_name(), "{name} points at an unnamed code");
            assert!(parse_numbered(name).is_none(), "{name} looks numbered");
        }
        // Every canonical name is an accepted name.
        for (key, name) in canonical_names() {
            assert_eq!(map.get(name), Some(&key));
        }
        // The binary search relies on byte order.
        assert!(BY_NAME.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn keys_named_code_count_matches_header() {
        // Linux 6.1 input-event-codes.h defines 612 distinct KEY_/BTN_ codes below KEY_CNT;
        // keyd's iso-level3-shift (84) makes 613.
        assert_eq!(canonical_names().count(), 613);
        assert_eq!(all_names().count(), 660);
    }

    #[test]
    fn keys_well_known_codes() {
        assert_eq!(code("leftcontrol"), Some(29));
        assert_eq!(code("leftctrl"), Some(29));
        assert_eq!(Key::LEFTCTRL.name(), "leftcontrol");
        assert_eq!(code("rightcontrol"), Some(97));
        assert_eq!(code("rightctrl"), Some(97));
        assert_eq!(code("esc"), Some(1));
        assert_eq!(code("escape"), Some(1));
        assert_eq!(code("leftmeta"), Some(125));
        assert_eq!(code("capslock"), Some(58));
        assert_eq!(code("rightalt"), Some(100));
        assert_eq!(code("102nd"), Some(86));
        assert_eq!(code("kp1"), Some(79));
        assert_eq!(code("f24"), Some(194));
        assert_eq!(code("space"), Some(57));
        assert_eq!(code("kpenter"), Some(96));
        assert_eq!(Key::from_name("LeftCtrl"), None, "case-sensitive");
        assert_eq!(Key::from_name(""), None);
        assert_eq!(Key::from_name("nosuchkey"), None);
    }

    #[test]
    fn keys_keyd_symbol_spellings() {
        for (sym, word) in [
            ("-", "minus"),
            ("=", "equal"),
            ("[", "leftbrace"),
            ("]", "rightbrace"),
            (";", "semicolon"),
            ("'", "apostrophe"),
            ("`", "grave"),
            ("\\", "backslash"),
            (",", "comma"),
            (".", "dot"),
            ("/", "slash"),
        ] {
            assert_eq!(Key::from_name(sym), Key::from_name(word), "{sym}");
            assert_eq!(Key::from_name(word).unwrap().name(), word);
        }
    }

    #[test]
    fn keys_alternative_kernel_names() {
        assert_eq!(code("coffee"), Some(152));
        assert_eq!(code("screenlock"), Some(152));
        assert_eq!(code("hangeul"), Some(122));
        assert_eq!(code("hanguel"), Some(122));
        assert_eq!(code("btn_a"), Some(0x130));
        assert_eq!(code("btn_south"), Some(0x130));
        assert_eq!(code("btn_gamepad"), Some(0x130));
        assert_eq!(Key::BTN_SOUTH.name(), "btn_south");
        assert_eq!(Key::BTN_A, Key::BTN_SOUTH);
        assert_eq!(code("btn_misc"), Some(0x100));
        assert_eq!(Key::BTN_0.name(), "btn_0");
        assert_eq!(code("zoom"), Some(0x174));
        assert_eq!(code("full_screen"), Some(0x174));
        assert_eq!(Key::FULL_SCREEN.name(), "zoom");
        // keyd's `next` is the video key; the kernel's KEY_NEXT is `key_next`.
        assert_eq!(code("next"), Some(241));
        assert_eq!(code("video_next"), Some(241));
        assert_eq!(Key::NEXT.name(), "key_next");
        assert_eq!(code("key_next"), Some(0x197));
    }

    #[test]
    fn keys_mouse_buttons() {
        assert_eq!(Key::BTN_LEFT.name(), "leftmouse");
        assert_eq!(code("btn_left"), Some(0x110));
        assert_eq!(code("btn_mouse"), Some(0x110));
        assert_eq!(code("rightmouse"), Some(0x111));
        assert_eq!(code("middlemouse"), Some(0x112));
        assert_eq!(code("mouse1"), Some(0x113));
        assert_eq!(code("mouse2"), Some(0x114));
        assert_eq!(code("mouseforward"), Some(0x115));
        assert_eq!(code("mouseback"), Some(0x116));
        assert!(Key::BTN_LEFT.is_button());
        assert!(Key::BTN_DPAD_UP.is_button());
        assert!(Key::BTN_TRIGGER_HAPPY40.is_button());
        assert!(!Key::A.is_button());
        assert!(!Key::OK.is_button());
        assert!(!Key::MACRO1.is_button());
    }

    #[test]
    fn keys_codes_above_255_are_named() {
        assert_eq!(Key::from_name("macro1"), Key::new(0x290));
        assert_eq!(Key::MACRO1.code(), 0x290);
        assert_eq!(Key::new(0x290).unwrap().name(), "macro1");
        assert_eq!(Key::new(0x2c0).unwrap().name(), "btn_trigger_happy1");
        assert_eq!(code("btn_trigger_happy"), Some(0x2c0));
        assert_eq!(Key::new(0x2b8).unwrap().name(), "kbd_lcd_menu1");
        assert_eq!(Key::new(0x2e7).unwrap().name(), "btn_trigger_happy40");
        assert_eq!(code("brightnessup"), Some(225));
        assert_eq!(code("fn"), Some(0x1d0));
        assert_eq!(code("voicecommand"), Some(0x246));
    }

    #[test]
    fn keys_unnamed_codes_use_numbered_form() {
        let gap = Key::new(0x2e8).unwrap();
        assert!(!gap.has_name());
        assert_eq!(gap.name(), "key_744");
        assert_eq!(Key::from_name("key_744"), Some(gap));
        assert_eq!(Key::from_name("key_30"), Some(Key::A));
        assert_eq!(Key::from_name("key_0"), Some(Key::RESERVED));
        assert_eq!(Key::from_name("key_767"), Key::new(767));
        for bad in ["key_768", "key_030", "key_", "key_+1", "key_1a", "key_9999"] {
            assert_eq!(Key::from_name(bad), None, "{bad}");
        }
        assert!(Key::new(0x300).is_none());
        assert_eq!(Key::new(84).unwrap().name(), "iso-level3-shift");
        assert!(canonical_names().all(|(k, _)| k.has_name()));
    }

    #[test]
    fn keys_shifted_symbols() {
        assert_eq!(shifted("!"), Some(Key::KEY_1));
        assert_eq!(shifted(")"), Some(Key::KEY_0));
        assert_eq!(shifted("_"), Key::from_name("minus"));
        assert_eq!(shifted("+"), Key::from_name("equal"));
        assert_eq!(shifted("\""), Key::from_name("apostrophe"));
        assert_eq!(shifted("~"), Key::from_name("grave"));
        assert_eq!(shifted("?"), Key::from_name("slash"));
        assert_eq!(shifted("A"), Some(Key::A));
        assert_eq!(shifted("Z"), Key::from_name("z"));
        assert_eq!(shifted("a"), None);
        assert_eq!(shifted("1"), None);
        assert_eq!(shifted("!!"), None);
        assert_eq!(shifted(""), None);
        // No shifted symbol is also a key name.
        for c in b'!'..=b'~' {
            let s = [c];
            let s = std::str::from_utf8(&s).unwrap();
            assert!(shifted(s).is_none() || Key::from_name(s).is_none(), "{s}");
        }
    }

    #[test]
    fn keys_suggest() {
        assert_eq!(suggest("leftctl"), Some("leftctrl"));
        assert_eq!(suggest("LeftCtrl"), Some("leftctrl"));
        assert_eq!(suggest("LEFTCONTROL"), Some("leftcontrol"));
        assert_eq!(suggest("capslok"), Some("capslock"));
        assert_eq!(suggest("cpaslock"), Some("capslock"));
        assert_eq!(suggest("esx"), Some("esc"));
        assert_eq!(suggest("Esc"), Some("esc"));
        assert_eq!(suggest("xyzzyq"), None);
        assert_eq!(suggest("backspaec"), Some("backspace"));
        assert_eq!(suggest(""), None);
        assert_eq!(suggest(&"a".repeat(100)), None);
        assert_eq!(distance(b"abc", b"acb"), 1);
        assert_eq!(distance(b"kitten", b"sitting"), 3);
    }
}

/// A set of key codes: one bit per code, no allocation. Used for "which keys are down".
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct KeySet([u64; KEY_CNT.div_ceil(64)]);

impl KeySet {
    pub fn contains(&self, key: Key) -> bool {
        self.0[key.index() / 64] & (1 << (key.index() % 64)) != 0
    }

    pub fn set(&mut self, key: Key, on: bool) {
        let (w, b) = (key.index() / 64, 1u64 << (key.index() % 64));
        if on {
            self.0[w] |= b;
        } else {
            self.0[w] &= !b;
        }
    }

    /// Sets `key` to `on`; returns false if it already was (a press of a key already down, or a
    /// release of a key that is not).
    pub fn record(&mut self, key: Key, on: bool) -> bool {
        let changed = self.contains(key) != on;
        self.set(key, on);
        changed
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    pub fn clear(&mut self) {
        *self = KeySet::default();
    }

    /// The keys in the set, in code order.
    pub fn iter(&self) -> impl Iterator<Item = Key> + '_ {
        (0..KEY_CNT as u16).filter_map(Key::new).filter(|&k| self.contains(k))
    }

    /// The set of these codes (codes of KEY_CNT and above are ignored).
    pub fn from_codes(codes: impl IntoIterator<Item = u16>) -> KeySet {
        let mut set = KeySet::default();
        for k in codes.into_iter().filter_map(Key::new) {
            set.set(k, true);
        }
        set
    }
}

// keymapd focus: publishes the focused window's application id and title on the session bus,
// for keymapd's session agent (`keymapd session`), which switches application layers with it.
//
//   name       io.github.keymapd.Shell
//   object     /io/github/keymapd/Shell
//   interface  io.github.keymapd.Focus
//     property Focus        (bss) read: (a window has focus, its application id, its title)
//     signal   FocusChanged (bss)      the same triple, sent whenever any part of it changes
//
// "Nothing focused" is (false, "", ""). The application id is Meta.Window.get_wm_class():
// mutter stores a Wayland client's xdg_toplevel app_id there, and an X11 client's WM_CLASS
// class, which is exactly what keymapd's `app:` sections match on every desktop (sway reports
// the same two, the X11 backend reads WM_CLASS). get_gtk_application_id() is only a fallback
// for a window that has neither: it is set only by GApplication programs, and on X11 it differs
// from WM_CLASS, so preferring it would make one profile match differently per desktop.
//
// This copy is for GNOME Shell 45 and later (an ES module); the one for 43 and 44
// (packaging/gnome-shell/43) differs only in its imports and its entry point.
// Nothing is polled: the extension reacts to the display's focus-window notification and to
// the focused window's title and class notifications.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';

const BUS_NAME = 'io.github.keymapd.Shell';
const OBJECT_PATH = '/io/github/keymapd/Shell';
const INTERFACE_XML = `
<node>
  <interface name="io.github.keymapd.Focus">
    <property name="Focus" type="(bss)" access="read"/>
    <signal name="FocusChanged">
      <arg name="focused" type="b"/>
      <arg name="app_id" type="s"/>
      <arg name="title" type="s"/>
    </signal>
  </interface>
</node>`;

function describe(window) {
    if (!window)
        return [false, '', ''];
    const appId = window.get_wm_class() || window.get_gtk_application_id() || '';
    return [true, appId, window.get_title() || ''];
}

class FocusPublisher {
    enable() {
        this._window = null;
        this._windowSignals = [];
        this._focus = describe(null);
        this._exported = Gio.DBusExportedObject.wrapJSObject(INTERFACE_XML, this);
        this._exported.export(Gio.DBus.session, OBJECT_PATH);
        this._focusSignal = global.display.connect('notify::focus-window', () => this._follow());
        this._follow();
        // Own the name last: a client that sees the name can read the property right away.
        this._nameId = Gio.bus_own_name_on_connection(Gio.DBus.session, BUS_NAME,
            Gio.BusNameOwnerFlags.NONE, null, null);
    }

    disable() {
        Gio.bus_unown_name(this._nameId);
        global.display.disconnect(this._focusSignal);
        this._watch(null);
        this._exported.unexport();
        this._exported = null;
    }

    // The D-Bus property's getter (wrapJSObject packs it as (bss)).
    get Focus() {
        return this._focus;
    }

    _follow() {
        this._watch(global.display.focus_window);
        this._publish();
    }

    // Follow the focused window's own changes (a terminal retitles itself per command).
    _watch(window) {
        if (window === this._window)
            return;
        for (const id of this._windowSignals)
            this._window.disconnect(id);
        this._windowSignals = [];
        this._window = window;
        if (window) {
            this._windowSignals = [
                window.connect('notify::title', () => this._publish()),
                window.connect('notify::wm-class', () => this._publish()),
                window.connect('unmanaging', () => this._watch(null)),
            ];
        }
    }

    _publish() {
        const focus = describe(this._window);
        if (focus.every((part, i) => part === this._focus[i]))
            return;
        this._focus = focus;
        this._exported.emit_signal('FocusChanged', new GLib.Variant('(bss)', focus));
    }
}

export default class KeymapdFocusExtension extends Extension {
    enable() {
        this._publisher = new FocusPublisher();
        this._publisher.enable();
    }

    disable() {
        this._publisher.disable();
        this._publisher = null;
    }
}

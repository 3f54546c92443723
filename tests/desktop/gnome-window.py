#!/usr/bin/env python3
"""A test window of its own application, for the desktop backends' tests.

    gnome-window.py APP_ID TITLE [--x11-class CLASS]

Opens one GTK 3 window of a GtkApplication whose id is APP_ID, titled TITLE (on Wayland the
compositor sees APP_ID as the window's app_id). With --x11-class it runs as an X11 client
(GDK_BACKEND=x11 must be set) whose WM_CLASS class is CLASS. SIGUSR1 appends " (renamed)" to
the title; SIGTERM closes the window and quits.
"""
import signal
import sys

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402


def main():
    args = sys.argv[1:]
    x11_class = None
    if "--x11-class" in args:
        i = args.index("--x11-class")
        x11_class = args[i + 1]
        del args[i : i + 2]
    app_id, title = args
    # As GTK 3 programs do, so that on Wayland the app_id is the application's id.
    GLib.set_prgname(app_id)
    if x11_class:
        Gdk.set_program_class(x11_class)
    app = Gtk.Application(application_id=app_id, flags=Gio.ApplicationFlags.NON_UNIQUE)

    def activate(app):
        win = Gtk.ApplicationWindow(application=app, title=title)
        win.set_default_size(300, 200)
        win.show_all()

        def rename():
            win.set_title(win.get_title() + " (renamed)")
            return GLib.SOURCE_CONTINUE

        def present():
            win.present_with_time(Gtk.get_current_event_time())
            return GLib.SOURCE_CONTINUE

        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, rename)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR2, present)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: app.quit())

    app.connect("activate", activate)
    return app.run([sys.argv[0]])


if __name__ == "__main__":
    sys.exit(main())

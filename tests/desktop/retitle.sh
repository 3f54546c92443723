#!/bin/sh
# A terminal's program for the tests: writes its pid to $1 (or $KEYMAPD_PIDFILE), then on
# SIGUSR1 sets the terminal's title to "renamed" (OSC 2), so a test can change a window's title
# from outside.
trap 'printf "\033]2;renamed\007"' USR1
echo $$ > "${1:-$KEYMAPD_PIDFILE}"
while :; do sleep 600 & wait $!; done

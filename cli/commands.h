/*
 * commands.h - the table of commands (name, handler, summary, synopsis and
 * --help text) and the usage and help printed from it
 */
#ifndef SK_CLI_COMMANDS_H
#define SK_CLI_COMMANDS_H

#include <stdio.h>

struct sk_command;

/* the command named name, or NULL */
const struct sk_command *sk_cli_find_command(const char *name);
/* "usage: snapkeep ...", every command with its summary, and the exit codes */
void sk_cli_print_usage(FILE *f);
/* a command's --help: its synopsis, summary, options and exit codes */
void sk_cli_print_command_help(const struct sk_command *c);

#endif

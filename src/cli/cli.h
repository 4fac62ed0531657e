/*
 * cli: `liaison <command>`. The face of src/cli/.
 *
 * Each command is a function taking the arguments after its name and
 * returning the process exit code (docs/cli.md lists them):
 *   0 success, 1 runtime failure (store, network, I/O), 2 usage error,
 *   3 not found, 4 refused (permission, validation, verification).
 */
#ifndef LIAISON_CLI_H
#define LIAISON_CLI_H

enum cli_exit {
    CLI_OK = 0,
    CLI_FAIL = 1,
    CLI_USAGE = 2,
    CLI_NOTFOUND = 3,
    CLI_REFUSED = 4,
};

typedef int (*cli_command_fn)(int argc, char **argv);

struct cli_command {
    const char *name;
    cli_command_fn run;
    const char *summary;
};

/* Maps a util/layer result code to an exit code. */
int cli_exit_for(int rc);

#endif

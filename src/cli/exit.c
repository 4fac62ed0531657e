/* Exit codes of every command, from one table (docs/cli.md). */
#include "cli/cli.h"
#include "util/util.h"

int cli_exit_for(int rc)
{
    switch (rc) {
    case LIA_OK:
        return CLI_OK;
    case LIA_EINVAL:
        return CLI_USAGE;
    case LIA_ENOTFOUND:
        return CLI_NOTFOUND;
    case LIA_EFORBIDDEN:
    case LIA_EUNAUTH:
    case LIA_ECONFLICT:
        return CLI_REFUSED;
    default:
        return CLI_FAIL;
    }
}

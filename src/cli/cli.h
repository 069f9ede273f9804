#ifndef HAIL_CLI_CLI_H
#define HAIL_CLI_CLI_H
int cli_main(int argc, char **argv);
#endif

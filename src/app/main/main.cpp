// The executable: everything it does lives in the aar_app library, which the tests link too.
#include "app/cli.hpp"

int main(int argc, char** argv) { return aar::app::runCli(argc, argv); }

// runController(): the `run` command's body — the one place that builds every concrete part (Kubernetes
// connection, watch caches, leader election, Events, AWS credentials and IAM client, metrics and probe
// servers), adapts them to the controller's ports, and runs until SIGTERM/SIGINT (or one cycle with --once).
//
// Shutdown (SIGTERM/SIGINT): the controller stops, in-flight IAM and aws-auth requests are cancelled, the
// Lease is released, the caches and servers stop; exit 0, within 2 s. A write is one PUT, so it is applied
// whole or not at all.
//
// Exit codes: 0 success (and after a signal), 1 runtime failure (cannot connect, --once cycle failed), 2 is
// decided before this is called (bad flags).
#pragma once

#include "app/run_options.hpp"

namespace aar::app {

int runController(const RunOptions& options);

}  // namespace aar::app

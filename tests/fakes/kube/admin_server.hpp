// AdminServer: a plain-HTTP control interface for a FakeApiServer running in another process
// (fake-kube-apiserver), on 127.0.0.1 only. Every request needs "Authorization: Bearer <admin token>" when an
// admin token is set (401 otherwise). Bodies and responses are JSON; errors are {"error": "..."} with 4xx.
//
//   GET    /admin/state           {"port","url","resourceVersion","openWatches","running"}
//   PUT    /admin/objects         body: a ConfigMap, Lease or Event (apiVersion, kind, metadata.namespace,
//                                 metadata.name); created or replaced without validation or faults, stamped
//                                 and announced to watches like a write → the stored object
//   GET    /admin/objects?apiVersion=v1&kind=ConfigMap&namespace=kube-system&name=aws-auth → object or 404
//   DELETE /admin/objects?apiVersion=…&kind=…&namespace=…&name=… → 204 or 404
//   POST   /admin/faults          {"verb":"update","resource":"configmaps","name":"","status":409,
//                                 "count":2,"retryAfterSeconds":1} (all optional; see FaultSpec)
//   GET    /admin/faults          pending faults;  DELETE /admin/faults clears them
//   POST   /admin/drop-watches    ends every open watch stream now
//   POST   /admin/compact         drops watch history (resourceVersions issued before → 410)
//   PUT    /admin/delay           {"milliseconds":200} delays every API response
//   PUT    /admin/bookmark-interval  {"milliseconds":100}
//   POST   /admin/stop            API server unreachable (listener closed); POST /admin/start brings it back
//                                 on the same port
//   GET    /admin/requests        the request log: [{"method","verb","path","query","status","userAgent",
//                                 "user","resource","namespace","name"}];  DELETE /admin/requests clears it
//
// Thread-safety: start()/stop() from one thread; requests are served on the admin server's own threads.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "fakes/kube/fake_api_server.hpp"
#include "support/server_thread.hpp"

namespace httplib {
class Server;
}

namespace aar::testing::kube {

class AdminServer {
 public:
  // `api` must outlive this object. An empty admin_token disables the admin authentication.
  AdminServer(FakeApiServer& api, std::string admin_token);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds 127.0.0.1:<port> (0 = ephemeral) and serves in a background thread; throws std::runtime_error.
  void start(int port = 0);
  void stop();
  int port() const { return port_; }

 private:
  FakeApiServer& api_;
  std::string admin_token_;
  std::unique_ptr<test::ServerThread> serving_;
  int port_ = 0;
};

}  // namespace aar::testing::kube

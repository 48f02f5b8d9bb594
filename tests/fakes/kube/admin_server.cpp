#include "fakes/kube/admin_server.hpp"

#include <httplib.h>

#include <stdexcept>

namespace aar::testing::kube {
namespace {

using nlohmann::json;

const ResourceType* typeOf(const std::string& api_version, const std::string& kind) {
  for (const ResourceType& type : builtinResourceTypes()) {
    if (type.apiVersion() == api_version && type.kind == kind) return &type;
  }
  return nullptr;
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void fail(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, json{{"error", message}});
}

json recordJson(const RequestRecord& r) {
  return {{"method", r.method}, {"verb", r.verb},         {"path", r.path},
          {"query", r.query},   {"status", r.status},     {"userAgent", r.user_agent},
          {"user", r.user},     {"resource", r.resource}, {"namespace", r.namespace_name},
          {"name", r.name}};
}

json faultJson(const FaultSpec& f) {
  return {{"verb", f.verb},     {"resource", f.resource}, {"name", f.name},
          {"status", f.status}, {"count", f.count},       {"retryAfterSeconds", f.retry_after_seconds}};
}

}  // namespace

AdminServer::AdminServer(FakeApiServer& api, std::string admin_token)
    : api_(api), admin_token_(std::move(admin_token)) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start(int port) {
  if (serving_) return;
  auto server = std::make_unique<httplib::Server>();
  server->set_keep_alive_timeout(1);
  server->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!admin_token_.empty() && req.get_header_value("Authorization") != "Bearer " + admin_token_) {
      fail(res, 401, "admin token required");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto body = [](const httplib::Request& req, httplib::Response& res, json* out) {
    *out = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (out->is_discarded() || !out->is_object()) {
      fail(res, 400, "body must be a JSON object");
      return false;
    }
    return true;
  };

  server->Get("/admin/state", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, 200,
          {{"port", api_.port()},
           {"url", api_.url()},
           {"resourceVersion", std::to_string(api_.resourceVersion())},
           {"openWatches", api_.openWatches()},
           {"running", api_.running()}});
  });
  server->Put("/admin/objects", [this, body](const httplib::Request& req, httplib::Response& res) {
    json object;
    if (!body(req, res, &object)) return;
    const ResourceType* type = typeOf(object.value("apiVersion", ""), object.value("kind", ""));
    if (type == nullptr) return fail(res, 400, "unsupported apiVersion/kind");
    if (!object.contains("metadata") || !object["metadata"].is_object() ||
        object["metadata"].value("name", "").empty() || object["metadata"].value("namespace", "").empty()) {
      return fail(res, 400, "metadata.namespace and metadata.name are required");
    }
    reply(res, 200, api_.store().put(*type, object));
  });
  server->Get("/admin/objects", [this](const httplib::Request& req, httplib::Response& res) {
    const ResourceType* type = typeOf(req.get_param_value("apiVersion"), req.get_param_value("kind"));
    if (type == nullptr) return fail(res, 400, "unsupported apiVersion/kind");
    auto object = api_.store().find(*type, req.get_param_value("namespace"), req.get_param_value("name"));
    if (!object) return fail(res, 404, "not found");
    reply(res, 200, *object);
  });
  server->Delete("/admin/objects", [this](const httplib::Request& req, httplib::Response& res) {
    const ResourceType* type = typeOf(req.get_param_value("apiVersion"), req.get_param_value("kind"));
    if (type == nullptr) return fail(res, 400, "unsupported apiVersion/kind");
    if (!api_.store().erase(*type, req.get_param_value("namespace"), req.get_param_value("name"))) {
      return fail(res, 404, "not found");
    }
    res.status = 204;
  });
  server->Post("/admin/faults", [this, body](const httplib::Request& req, httplib::Response& res) {
    json spec;
    if (!body(req, res, &spec)) return;
    FaultSpec fault;
    try {
      fault.verb = spec.value("verb", fault.verb);
      fault.resource = spec.value("resource", fault.resource);
      fault.name = spec.value("name", fault.name);
      fault.status = spec.value("status", fault.status);
      fault.count = spec.value("count", fault.count);
      fault.retry_after_seconds = spec.value("retryAfterSeconds", fault.retry_after_seconds);
    } catch (const json::exception& e) {
      return fail(res, 400, e.what());
    }
    api_.failNext(fault);
    reply(res, 200, faultJson(fault));
  });
  server->Get("/admin/faults", [this](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const FaultSpec& f : api_.pendingFaults()) list.push_back(faultJson(f));
    reply(res, 200, list);
  });
  server->Delete("/admin/faults", [this](const httplib::Request&, httplib::Response& res) {
    api_.clearFaults();
    res.status = 204;
  });
  server->Post("/admin/drop-watches", [this](const httplib::Request&, httplib::Response& res) {
    api_.dropWatches();
    res.status = 204;
  });
  server->Post("/admin/compact", [this](const httplib::Request&, httplib::Response& res) {
    api_.compact();
    res.status = 204;
  });
  auto milliseconds = [body](const httplib::Request& req, httplib::Response& res, long* out) {
    json spec;
    if (!body(req, res, &spec)) return false;
    if (!spec.contains("milliseconds") || !spec["milliseconds"].is_number_integer() ||
        spec["milliseconds"].get<long>() < 0) {
      fail(res, 400, "milliseconds must be a non-negative integer");
      return false;
    }
    *out = spec["milliseconds"].get<long>();
    return true;
  };
  server->Put("/admin/delay", [this, milliseconds](const httplib::Request& req, httplib::Response& res) {
    long ms = 0;
    if (!milliseconds(req, res, &ms)) return;
    api_.setResponseDelay(std::chrono::milliseconds(ms));
    res.status = 204;
  });
  server->Put("/admin/bookmark-interval",
              [this, milliseconds](const httplib::Request& req, httplib::Response& res) {
                long ms = 0;
                if (!milliseconds(req, res, &ms)) return;
                if (ms == 0) return fail(res, 400, "interval must be positive");
                api_.setBookmarkInterval(std::chrono::milliseconds(ms));
                res.status = 204;
              });
  server->Post("/admin/stop", [this](const httplib::Request&, httplib::Response& res) {
    api_.stop();
    res.status = 204;
  });
  server->Post("/admin/start", [this](const httplib::Request&, httplib::Response& res) {
    try {
      api_.start();
    } catch (const std::exception& e) {
      return fail(res, 409, e.what());
    }
    res.status = 204;
  });
  server->Get("/admin/requests", [this](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const RequestRecord& r : api_.requests()) list.push_back(recordJson(r));
    reply(res, 200, list);
  });
  server->Delete("/admin/requests", [this](const httplib::Request&, httplib::Response& res) {
    api_.clearRequests();
    res.status = 204;
  });

  // Throws std::runtime_error when 127.0.0.1:port (0: any port) cannot be bound.
  serving_ = std::make_unique<test::ServerThread>(std::move(server), port);
  port_ = serving_->port();
}

void AdminServer::stop() { serving_.reset(); }

}  // namespace aar::testing::kube

// Adapters from the Kubernetes client (src/kube) to the controller's ports.
//
// CacheRulesSource: the rules ConfigMap as its watch-fed cache holds it.
// KubeAwsAuthStore: aws-auth read from its watch-fed cache as it is, written with ConfigMapClient (PUT
//   carrying the resourceVersion; every field we do not own is sent back as read). It keeps the whole object
//   of its last read and of its last write, so that update() can send back the fields the controller does not
//   see; it decides nothing about echoes or a lagging cache (the controller does).
// RecorderEventSink: Events through kube::EventRecorder (aggregated there).
//
// Thread-safety: as the ports require (one cycle thread); KubeAwsAuthStore guards its memory with a mutex.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "controller/ports.hpp"
#include "kube/config_map_cache.hpp"
#include "kube/config_maps.hpp"
#include "kube/event_recorder.hpp"

namespace aar::app {

class CacheRulesSource final : public controller::RulesSource {
 public:
  explicit CacheRulesSource(kube::ConfigMapCache& cache) : cache_(cache) {}
  Result<controller::RulesSnapshot> read() override;
  std::string describe() const override { return cache_.describe(); }

 private:
  kube::ConfigMapCache& cache_;
};

class KubeAwsAuthStore final : public controller::AwsAuthStore {
 public:
  KubeAwsAuthStore(kube::ConfigMapClient& client, kube::ConfigMapCache& cache, std::string namespace_name,
                   std::string name);
  Result<std::optional<controller::AwsAuthObject>> read() override;
  Result<std::optional<controller::AwsAuthObject>> readFresh() override;
  Result<controller::AwsAuthObject> create(const core::ConfigMapContent& content) override;
  Result<controller::AwsAuthObject> update(const core::ConfigMapContent& content,
                                           const std::string& resource_version) override;
  std::string describe() const override { return namespace_ + "/" + name_; }

 private:
  std::optional<controller::AwsAuthObject> remember(const std::optional<kube::ConfigMap>& cm);

  kube::ConfigMapClient& client_;
  kube::ConfigMapCache& cache_;
  std::string namespace_, name_;
  std::mutex mu_;
  // The objects update() may write over: the last one read() or readFresh() returned, and the last one
  // create() or update() wrote.
  std::optional<kube::ConfigMap> last_read_;
  std::optional<kube::ConfigMap> last_written_;
};

class RecorderEventSink final : public controller::EventSink {
 public:
  explicit RecorderEventSink(kube::EventRecorder& recorder) : recorder_(recorder) {}
  void normal(std::string_view reason, std::string_view message) override {
    recorder_.normal(reason, message);
  }
  void warning(std::string_view reason, std::string_view message) override {
    recorder_.warning(reason, message);
  }

 private:
  kube::EventRecorder& recorder_;
};

}  // namespace aar::app

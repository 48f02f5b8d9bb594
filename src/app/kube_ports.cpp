#include "app/kube_ports.hpp"

#include "core/reconcile.hpp"

namespace aar::app {
namespace {
constexpr char kAccountsKey[] = "accounts";  // the rules ConfigMap's list of further AWS accounts
}  // namespace

Result<controller::RulesSnapshot> CacheRulesSource::read() {
  auto cm = cache_.get();
  if (!cm.ok()) return cm.error();
  controller::RulesSnapshot snap;
  if (!cm->has_value()) {
    snap.state = controller::RulesSnapshot::State::kConfigMapMissing;
    return snap;
  }
  snap.resource_version = (*cm)->resourceVersion();
  snap.text.map_users = (*cm)->dataValue(core::kMapUsersKey);
  snap.text.map_roles = (*cm)->dataValue(core::kMapRolesKey);
  snap.text.accounts = (*cm)->dataValue(kAccountsKey);
  snap.state = snap.text.map_users || snap.text.map_roles ? controller::RulesSnapshot::State::kPresent
                                                          : controller::RulesSnapshot::State::kKeyMissing;
  return snap;
}

KubeAwsAuthStore::KubeAwsAuthStore(kube::ConfigMapClient& client, kube::ConfigMapCache& cache,
                                   std::string namespace_name, std::string name)
    : client_(client), cache_(cache), namespace_(std::move(namespace_name)), name_(std::move(name)) {}

std::optional<controller::AwsAuthObject> KubeAwsAuthStore::remember(
    const std::optional<kube::ConfigMap>& cm) {
  last_read_ = cm;
  if (!cm) return std::nullopt;
  return controller::AwsAuthObject{cm->content(), cm->resourceVersion(), cm->uid()};
}

Result<std::optional<controller::AwsAuthObject>> KubeAwsAuthStore::read() {
  auto cm = cache_.get();
  if (!cm.ok()) return makeError(cm.error().kind, "watch cache: " + cm.error().message);
  std::lock_guard lock(mu_);
  return remember(cm.value());
}

Result<std::optional<controller::AwsAuthObject>> KubeAwsAuthStore::readFresh() {
  auto cm = client_.find(namespace_, name_);
  if (!cm.ok()) return cm.error();
  std::lock_guard lock(mu_);
  return remember(cm.value());
}

Result<controller::AwsAuthObject> KubeAwsAuthStore::create(const core::ConfigMapContent& content) {
  kube::ConfigMap cm(namespace_, name_);
  cm.setContent(content);
  auto created = client_.create(cm);
  if (!created.ok()) return created.error();
  std::lock_guard lock(mu_);
  last_written_ = created.value();
  return controller::AwsAuthObject{created->content(), created->resourceVersion(), created->uid()};
}

Result<controller::AwsAuthObject> KubeAwsAuthStore::update(const core::ConfigMapContent& content,
                                                           const std::string& resource_version) {
  std::optional<kube::ConfigMap> base;
  {
    std::lock_guard lock(mu_);
    if (last_read_ && last_read_->resourceVersion() == resource_version) {
      base = last_read_;
    } else if (last_written_ && last_written_->resourceVersion() == resource_version) {
      base = last_written_;
    }
  }
  if (!base) {
    return makeError(ErrorKind::kInternal,
                     "update of " + describe() + " at resourceVersion " + resource_version +
                         " that was neither the last one read nor the last one written");
  }
  base->setContent(content);
  auto updated = client_.update(*base);
  if (!updated.ok()) return updated.error();
  std::lock_guard lock(mu_);
  last_written_ = updated.value();
  return controller::AwsAuthObject{updated->content(), updated->resourceVersion(), updated->uid()};
}

}  // namespace aar::app

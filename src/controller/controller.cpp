#include "controller/controller.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace aar::controller {
namespace {

Scheduler::Options schedulerOptions(const ControllerOptions& o) {
  Scheduler::Options s;
  s.interval = std::chrono::duration_cast<Scheduler::Duration>(o.refresh_interval);
  s.backoff_initial = std::chrono::duration_cast<Scheduler::Duration>(o.backoff_initial);
  s.backoff_max = std::chrono::duration_cast<Scheduler::Duration>(o.backoff_max);
  return s;
}

bool isRetryableWriteError(const Error& e) {
  return e.kind == ErrorKind::kConflict || e.kind == ErrorKind::kAlreadyExists ||
         e.kind == ErrorKind::kNotFound;
}

}  // namespace

std::string describeChange(const core::Change& c) {
  std::string out = fmt::format("{} arn={} username={} groups=[{}]", core::changeKindName(c.kind), c.arn,
                                c.username, fmt::join(c.groups, ", "));
  if (c.kind == core::Change::Kind::kUpdated) {
    out += fmt::format(" (was username={} groups=[{}])", c.previous_username,
                       fmt::join(c.previous_groups, ", "));
  }
  if (c.rule_index) out += fmt::format(" rule={}", *c.rule_index);
  return out;
}

Controller::Controller(ControllerPorts ports, ControllerOptions options, ControllerMetrics* metrics)
    : ports_(ports),
      options_(std::move(options)),
      metrics_(metrics),
      mass_removal_(MassRemovalGuard::Options{.allow = options_.allow_mass_removal}),
      scheduler_(schedulerOptions(options_), ports.clock.now()) {
  if (ports_.access_entries != nullptr) {
    AccessEntriesOptions o;
    o.owner_id = options_.owner_id;
    o.allow_cluster_admin_policy = options_.allow_cluster_admin_policy;
    o.dry_run = options_.dry_run;
    o.dry_run_out = options_.dry_run_out;
    o.associate_retries = options_.associate_retries;
    o.associate_backoff = options_.associate_backoff;
    o.may_write = options_.may_write;
    o.stopping = [this] { return stopping(); };
    o.progress = [this] { progressed(); };
    access_backend_.emplace(*ports_.access_entries, ports_.events, ports_.clock, std::move(o), metrics_);
    ports_.access_entries->setProgressCallback([this] { progressed(); });
  }
}

Controller::~Controller() {
  if (ports_.access_entries != nullptr) ports_.access_entries->setProgressCallback(nullptr);
}

bool Controller::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void Controller::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

void Controller::trigger(std::string_view reason) {
  spdlog::debug("cycle triggered: {}", reason);
  std::lock_guard lock(mu_);
  scheduler_.trigger(false);
  cv_.notify_all();
}

void Controller::rulesChanged() {
  spdlog::debug("cycle triggered: rules ConfigMap {} changed", ports_.rules.describe());
  std::lock_guard lock(mu_);
  scheduler_.trigger(true);
  cv_.notify_all();
}

Controller::Fingerprint Controller::fingerprintOf(const std::optional<core::ConfigMapContent>& content) {
  Fingerprint f;
  if (!content) return f;
  f.exists = true;
  auto value = [](const std::map<std::string, std::string>& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
  };
  f.map_users = value(content->data, core::kMapUsersKey);
  f.managed_users = value(content->annotations, core::kManagedUsersAnnotation);
  f.map_roles = value(content->data, core::kMapRolesKey);
  f.managed_roles = value(content->annotations, core::kManagedRolesAnnotation);
  return f;
}

void Controller::expect(const std::optional<core::ConfigMapContent>& content) {
  std::lock_guard lock(mu_);
  expected_ = fingerprintOf(content);
}

void Controller::awsAuthObserved(const std::optional<core::ConfigMapContent>& content) {
  Fingerprint seen = fingerprintOf(content);
  std::lock_guard lock(mu_);
  if (!expected_ || *expected_ == seen) return;
  spdlog::info(
      "{} changed outside aws-auth-refresher (mapUsers, mapRoles or an ownership record); reconciling",
      ports_.aws_auth.describe());
  // Only one trigger per distinct outside state, so a burst of events is one cycle.
  expected_ = seen;
  scheduler_.trigger(false);
  cv_.notify_all();
}

void Controller::progressed() {
  const auto now = ports_.clock.now();
  std::lock_guard lock(mu_);
  if (cycle_started_) cycle_progress_ = now;
}

bool Controller::synced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

int Controller::cyclesRun() const {
  std::lock_guard lock(mu_);
  return cycles_;
}

std::chrono::steady_clock::time_point Controller::nextCycleAt() const {
  std::lock_guard lock(mu_);
  return scheduler_.nextCycleAt();
}

std::chrono::nanoseconds Controller::livenessWindow() const {
  return std::max<std::chrono::nanoseconds>(kLivenessIntervals * options_.refresh_interval, kLivenessMinimum);
}

Controller::Liveness Controller::liveness() const {
  const auto now = ports_.clock.now();
  const auto window = livenessWindow();
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::lock_guard lock(mu_);
  if (!loop_started_ || stopping_) return {};
  if (cycle_started_) {
    // A cycle that keeps completing EKS calls (thousands at an access-entries start-up) is not stuck.
    const auto since = cycle_progress_ ? std::max(*cycle_started_, *cycle_progress_) : *cycle_started_;
    if (now - since > window) {
      return {false, true,
              cycle_progress_
                  ? fmt::format("a cycle has been running for {} ms, {} ms since its last EKS call "
                                "(limit {} ms)",
                                ms(now - *cycle_started_), ms(now - since), ms(window))
                  : fmt::format("a cycle has been running for {} ms (limit {} ms)", ms(now - *cycle_started_),
                                ms(window))};
    }
    return {true, true, {}};
  }
  const auto due = scheduler_.nextCycleAt();
  if (now > due && now - due > window) {
    return {false, false,
            fmt::format("a cycle has been due for {} ms without starting (limit {} ms)", ms(now - due),
                        ms(window))};
  }
  return {};
}

void Controller::run() {
  std::unique_lock lock(mu_);
  loop_started_ = true;
  while (!stopping_) {
    auto next = scheduler_.nextCycleAt();
    auto now = ports_.clock.now();
    if (now < next) {
      // Wakes at `next`, on stop(), or when a trigger moves the schedule.
      ports_.clock.waitUntil(cv_, lock, next, [&] { return stopping_ || scheduler_.nextCycleAt() != next; });
      continue;
    }
    scheduler_.cycleStarted();
    cycle_started_ = now;
    cycle_progress_.reset();
    lock.unlock();
    CycleReport report = runCycle();
    lock.lock();
    cycle_started_.reset();
    // A held mass removal is not a failure to retry soon: the point is to wait for the next listings.
    scheduler_.cycleFinished(ports_.clock.now(), report.success || report.skipped || report.held);
    if (!report.success && !report.skipped && !report.held && !stopping_) {
      auto delay = scheduler_.backoffFor(scheduler_.consecutiveFailures());
      spdlog::info("next attempt in {} ms (failure {} in a row)",
                   std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
                   scheduler_.consecutiveFailures());
    }
  }
}

CycleReport Controller::runCycle() {
  auto start = ports_.clock.now();
  CycleReport report = cycle();
  // A cycle at 10k users allocates and frees ~15 MB (aws-auth parsed, the ARNs, the desired mapUsers). Hand
  // the freed pages back, so that an idle daemon's RSS is its live data and not the allocator's high-water
  // mark.
  malloc_trim(0);
  double seconds = std::chrono::duration<double>(ports_.clock.now() - start).count();
  {
    std::lock_guard lock(mu_);
    ++cycles_;
    if (report.success || report.partial) synced_ = true;
  }
  if (report.skipped) {
    spdlog::debug("cycle skipped: not the leader");
    return report;
  }
  if (metrics_ != nullptr) {
    metrics_->cycle(report.success, seconds);
    if (report.success) {
      metrics_->lastSuccessTimestamp().set(
          std::chrono::duration<double>(ports_.clock.wallNow().time_since_epoch()).count());
    }
  }
  spdlog::debug("cycle done: result={} changes={} wrote={} dry_run={} duration={:.3f}s",
                report.success ? "success" : "error", report.changes.size(), report.wrote, options_.dry_run,
                seconds);
  return report;
}

CycleReport Controller::fail(Error error, std::string_view reason) {
  bool quiet = error.kind == ErrorKind::kCancelled && stopping();
  if (quiet) {
    spdlog::info("cycle interrupted by shutdown; nothing written");
  } else if (reason == "RulesMissing") {
    spdlog::warn("{}", error.message);
    ports_.events.warning(reason, error.message);
  } else {
    spdlog::error("cycle failed, nothing written: {}", error.toString());
    ports_.events.warning(reason, error.message);
  }
  CycleReport r;
  r.error = std::move(error);
  return r;
}

namespace {

bool sameText(const core::RulesText& a, const core::RulesText& b) {
  return a.map_users == b.map_users && a.map_roles == b.map_roles && a.accounts == b.accounts;
}

size_t ruleCount(const core::RulesConfig& c) { return c.users.rules().size() + c.roles.rules().size(); }

}  // namespace

Result<const Controller::ValidRules*> Controller::resolveRules() {
  const std::string where = ports_.rules.describe();
  auto snap = ports_.rules.read();
  if (!snap.ok()) {
    return makeError(snap.error().kind, "reading rules ConfigMap " + where + ": " + snap.error().message);
  }
  if (snap->state == RulesSnapshot::State::kConfigMapMissing) {
    return makeError(ErrorKind::kNotFound, "rules ConfigMap " + where + " does not exist; changing nothing");
  }
  if (snap->state == RulesSnapshot::State::kKeyMissing) {
    return makeError(ErrorKind::kNotFound,
                     "rules ConfigMap " + where + " has no mapUsers key (nor mapRoles); changing nothing");
  }
  // Parsed only when the text changes, so the warnings come once per rules version.
  if (!parsed_text_ || !sameText(*parsed_text_, snap->text)) parseRules(*snap);
  if (metrics_ != nullptr) metrics_->configValid().set(parse_error_ ? 0 : 1);
  if (parse_error_) {
    if (!last_valid_) {
      return makeError(ErrorKind::kInvalidArgument,
                       parse_error_->message + " (no valid rules since start; acting on nothing)");
    }
    spdlog::warn("rules in {} are invalid; keeping the last valid rules ({} rule(s))", where,
                 ruleCount(last_valid_->config));
  }
  if (metrics_ != nullptr) metrics_->rules().set(static_cast<double>(ruleCount(last_valid_->config)));
  return &*last_valid_;
}

void Controller::parseRules(const RulesSnapshot& snap) {
  const std::string where = ports_.rules.describe();
  // parseRulesConfig names the key (mapUsers, mapRoles, accounts) after this prefix.
  auto parsed = core::parseRulesConfig(snap.text, "rules ConfigMap " + where);
  parsed_text_ = snap.text;
  if (!parsed.ok()) {
    parse_error_ = parsed.error();
    spdlog::error("invalid rules: {}", parse_error_->message);
    ports_.events.warning("InvalidRules", parse_error_->message);
    return;
  }
  parse_error_.reset();
  previous_valid_ = std::move(last_valid_);
  last_valid_ = ValidRules{std::move(parsed.value()), ++rules_generation_};
  const core::RulesConfig& c = last_valid_->config;
  spdlog::info("rules loaded from {}: {} rule(s) (resourceVersion {})", where, ruleCount(c),
               snap.resource_version);
  for (const core::RuleSet* set : {&c.users, &c.roles}) {
    for (const auto& warning : core::ruleWarnings(*set)) {
      spdlog::warn("rules in {}: {}", where, warning);
      ports_.events.warning("UnanchoredRule", warning);
    }
  }
}

std::vector<Controller::AccountResult> Controller::listAccounts(const AccountQuery& query,
                                                                const core::RulesConfig& rules) {
  std::vector<AccountResult> out;
  out.push_back({"", ports_.principals.listAccount(query)});
  for (const core::AccountSpec& spec : rules.accounts) {
    AccountQuery q = query;
    q.account = spec;
    out.push_back({spec.account_id, ports_.principals.listAccount(q)});
  }
  return out;
}

std::vector<std::string> Controller::missingGroups(const std::vector<std::string>& groups,
                                                   const std::vector<AccountResult>& listings) {
  std::vector<std::string> missing;
  for (const auto& g : groups) {
    bool found = false;
    for (const auto& l : listings) found = found || (l.listing.ok() && l.listing->group_members.count(g) > 0);
    if (!found) missing.push_back(g);
  }
  return missing;
}

void Controller::reportMissingGroups(const ValidRules& rules, const std::vector<std::string>& missing) {
  const std::string where = ports_.rules.describe();
  std::string message;
  const auto& list = rules.config.users.rules();
  for (size_t i = 0; i < list.size(); ++i) {
    if (std::find(missing.begin(), missing.end(), list[i].iam_group) == missing.end()) continue;
    if (!message.empty()) message += "; ";
    message += fmt::format(
        "rules ConfigMap {}: mapUsers: rule {}, field iamGroup, line {}: IAM group \"{}\" does not exist "
        "(NoSuchEntity)",
        where, i, list[i].line, list[i].iam_group);
  }
  if (metrics_ != nullptr) metrics_->configValid().set(0);
  const std::string key = fmt::format("{}:{}", rules.generation, message);
  if (key == reported_missing_) return;  // reported once per rules version and set of missing groups
  reported_missing_ = key;
  spdlog::error("invalid rules: {}", message);
  ports_.events.warning("InvalidRules", message);
}

Controller::IamInputs Controller::snapshotOf(const ValidRules& rules, std::vector<AccountResult>& listings) {
  IamInputs in;
  in.rules = &rules;
  const std::vector<std::string> groups = rules.config.users.iamGroups();
  const bool roles = !rules.config.roles.empty();
  for (auto& l : listings) {
    if (!l.listing.ok()) {
      in.snapshot.frozen_accounts.push_back(l.account_id);
      in.failures.push_back({l.account_id, l.listing.error()});
      continue;
    }
    AccountListing& listing = *l.listing;
    std::map<std::string, std::vector<std::string>> member_of;  // user ARN -> groups the rules name
    for (const auto& g : groups) {
      auto it = listing.group_members.find(g);
      if (it == listing.group_members.end()) continue;
      for (const auto& arn : it->second) member_of[arn].push_back(g);
    }
    for (auto& u : listing.users) {
      if (auto it = member_of.find(u.arn); it != member_of.end()) u.iam_groups = it->second;
      in.key.push_back(fmt::format("u {} {} {}", u.arn, u.id, fmt::join(u.iam_groups, ",")));
      in.snapshot.users.push_back(std::move(u));
    }
    if (!roles) continue;
    for (auto& r : listing.roles) {
      in.key.push_back(fmt::format("r {} {}", r.arn, r.id));
      in.snapshot.roles.push_back(std::move(r));
    }
  }
  for (const auto& a : in.snapshot.frozen_accounts) in.key.push_back("frozen " + a);
  return in;
}

Result<Controller::IamInputs> Controller::listIam(const ValidRules& newest, std::string_view& reason) {
  // The rules before `newest` stand in when a group `newest` names does not exist; list for both then.
  const ValidRules* fallback =
      newest.config.users.iamGroups().empty() || !previous_valid_ ? nullptr : &*previous_valid_;
  AccountQuery query;
  query.roles = !newest.config.roles.empty() || (fallback != nullptr && !fallback->config.roles.empty());
  query.iam_groups = newest.config.users.iamGroups();
  if (fallback != nullptr) {
    for (auto& g : fallback->config.users.iamGroups()) query.iam_groups.push_back(std::move(g));
    std::sort(query.iam_groups.begin(), query.iam_groups.end());
    query.iam_groups.erase(std::unique(query.iam_groups.begin(), query.iam_groups.end()),
                           query.iam_groups.end());
  }
  std::vector<AccountResult> listings = listAccounts(query, newest.config);
  if (!listings.front().listing.ok()) {
    const Error& e = listings.front().listing.error();
    reason = "ListUsersFailed";
    return makeError(e.kind, "listing IAM users: " + e.message);
  }
  const ValidRules* in_effect = &newest;
  if (auto missing = missingGroups(newest.config.users.iamGroups(), listings); !missing.empty()) {
    reportMissingGroups(newest, missing);
    if (fallback == nullptr || !missingGroups(fallback->config.users.iamGroups(), listings).empty()) {
      reason = "InvalidRules";
      return makeError(ErrorKind::kInvalidArgument,
                       fmt::format("rules name IAM groups that do not exist ({}) and no earlier valid rules "
                                   "can stand in; acting on nothing",
                                   fmt::join(missing, ", ")));
    }
    spdlog::warn("keeping the last valid rules ({} rule(s)) while a group the new rules name does not exist",
                 ruleCount(fallback->config));
    in_effect = fallback;
  } else {
    reported_missing_.clear();  // a group missing again later is reported again
  }
  return snapshotOf(*in_effect, listings);
}

void Controller::reportAccountFailures(const std::vector<AccountFailure>& failures) {
  for (const auto& f : failures) {
    const std::string message =
        fmt::format("listing IAM principals of account {} failed; its entries in {} are left as they are: {}",
                    f.account_id, ports_.aws_auth.describe(), f.error.message);
    spdlog::error("{}", message);
    ports_.events.warning("AccountListingFailed", message);
    if (metrics_ != nullptr) metrics_->accountListingFailed(f.account_id);
  }
}

CycleReport Controller::skipCycle() {
  // Another replica may write meanwhile: what we remember of the records is no longer ours to compare.
  remembered_users_.reset();
  remembered_roles_.reset();
  own_write_.reset();
  mass_removal_.applied();
  if (metrics_ != nullptr) metrics_->massRemovalHolding().set(0);
  CycleReport r;
  r.skipped = true;
  return r;
}

CycleReport Controller::cycle() {
  if (options_.may_write && !options_.may_write()) return skipCycle();
  auto rules = resolveRules();
  if (!rules.ok()) {
    return fail(rules.error(), rules.error().kind == ErrorKind::kNotFound ? "RulesMissing" : "InvalidRules");
  }
  std::string_view reason;
  auto iam = listIam(**rules, reason);
  if (!iam.ok()) return fail(iam.error(), reason);
  reportAccountFailures(iam->failures);
  if (auto report = accessEntriesCycle(*iam)) return withAccountFailures(std::move(*report), iam->failures);
  noteAccessPoliciesIgnored(iam->rules->config);
  const std::string where = ports_.aws_auth.describe();
  auto current = ports_.aws_auth.read();
  if (!current.ok()) {
    return fail(makeError(current.error().kind, "reading " + where + ": " + current.error().message),
                "ReadFailed");
  }
  std::optional<AwsAuthObject> obj = actOnOwnWrite(std::move(current.value()));
  if (matchesQuietInputs(*iam, obj)) {
    spdlog::debug(
        "rules, IAM principals and {} (resourceVersion {}) are what the last cycle found up to date; "
        "nothing to change",
        where, obj->resource_version);
    printUpToDate();
    CycleReport report;
    report.success = true;
    report.inputs_unchanged = true;
    return report;
  }
  quiet_.reset();
  return withAccountFailures(reconcileAndWrite(*iam, std::move(obj)), iam->failures);
}

CycleReport Controller::withAccountFailures(CycleReport report, const std::vector<AccountFailure>& failures) {
  if (failures.empty() || !report.success) return report;
  std::vector<std::string> ids;
  for (const auto& f : failures) ids.push_back(f.account_id);
  report.success = false;
  report.partial = true;
  report.frozen_accounts = ids;
  report.error =
      makeError(failures.front().error.kind,
                fmt::format("account(s) {} could not be listed; their entries were left as they are",
                            fmt::join(ids, ", ")));
  return report;
}

CycleReport Controller::reconcileAndWrite(const IamInputs& iam, std::optional<AwsAuthObject> obj) {
  const std::string where = ports_.aws_auth.describe();
  for (int attempt = 0;; ++attempt) {
    if (!obj && !options_.create_aws_auth) {
      expect(std::nullopt);
      return fail(makeError(ErrorKind::kNotFound, where + " does not exist and --create-aws-auth=false"),
                  "AwsAuthMissing");
    }
    auto rec = plan(iam, obj);
    if (!rec.ok()) return fail(rec.error(), "ReconcileFailed");
    if (attempt == 0) reportExpansionFailures(*rec);
    if (!rec->changed) return upToDate(*rec, iam, std::move(obj));
    if (holdMassRemoval(*rec)) return held(*rec);
    if (options_.dry_run) {
      printDryRun(rec->changes);
      CycleReport report;
      report.changes = rec->changes;
      report.success = true;
      return report;
    }
    if (stopping()) return fail(makeError(ErrorKind::kCancelled, "shutting down"), "Cancelled");
    if (options_.may_write && !options_.may_write()) {
      return fail(makeError(ErrorKind::kCancelled, "lost leadership before writing " + where),
                  "LostLeadership");
    }
    expect(rec->desired);
    auto written = obj ? ports_.aws_auth.update(rec->desired, obj->resource_version)
                       : ports_.aws_auth.create(rec->desired);
    if (written.ok()) return applied(*rec, std::move(*written), obj ? obj->resource_version : std::string());
    const Error& err = written.error();
    if (!isRetryableWriteError(err) || attempt >= options_.max_conflict_retries) {
      return fail(
          makeError(err.kind, std::string(obj ? "updating " : "creating ") + where + ": " + err.message +
                                  (isRetryableWriteError(err) ? " (gave up after retries)" : "")),
          "WriteFailed");
    }
    spdlog::info("{} {}: {}; re-reading and recomputing (attempt {} of {})", obj ? "updating" : "creating",
                 where, errorKindName(err.kind), attempt + 1, options_.max_conflict_retries);
    auto fresh = ports_.aws_auth.readFresh();
    if (!fresh.ok()) {
      return fail(makeError(fresh.error().kind, "re-reading " + where + ": " + fresh.error().message),
                  "ReadFailed");
    }
    obj = std::move(fresh.value());
  }
}

Result<core::ReconcileResult> Controller::plan(const IamInputs& iam,
                                               const std::optional<AwsAuthObject>& obj) {
  const std::string where = ports_.aws_auth.describe();
  static const core::ConfigMapContent kNoContent;
  // A reference, not a copy: aws-auth can be 1 MiB, and this is the cycle's peak of memory.
  const core::ConfigMapContent& base = obj ? obj->content : kNoContent;
  core::ReconcileOptions reconcile_options;
  reconcile_options.adopt_matching_entries = options_.adopt_matching_entries;
  if (obj) reconcile_options.object_uid = obj->uid;
  auto rec = core::reconcile(iam.rules->config, iam.snapshot, base, reconcile_options);
  if (!rec.ok()) return makeError(rec.error().kind, where + ": " + rec.error().message);
  checkOwnership(obj.has_value(), *rec);
  for (const auto& s : rec->shadowed) {
    spdlog::debug("{} matches rule {}; also matched, not used: rules {}", s.arn, s.rule_index,
                  fmt::join(s.shadowed_rules, ", "));
  }
  for (const auto& arn : rec->adopted) {
    spdlog::info("{}: adopting the entry for {} (exactly what its rule writes, no ownership record)", where,
                 arn);
  }
  for (const auto& arn : rec->skipped_unmanaged) {
    spdlog::debug("{} matches a rule but already has an entry in {} that we did not write; left alone", arn,
                  where);
  }
  return rec;
}

void Controller::reportExpansionFailures(const core::ReconcileResult& rec) {
  for (const auto& f : rec.expansion_failures) {
    spdlog::warn("{} {} matches {} rule {} but gets no entry: its username does not expand: {}",
                 core::principalKindName(f.principal), f.arn,
                 f.principal == core::PrincipalKind::kRole ? "mapRoles" : "mapUsers", f.rule_index, f.reason);
    if (metrics_ != nullptr) metrics_->usernameExpansionFailed();
  }
}

void Controller::setManagedMetrics(const core::ReconcileResult& rec) {
  if (metrics_ == nullptr) return;
  metrics_->managedEntries().set(static_cast<double>(rec.users.managed_count));
  metrics_->managedEntriesOfKind(false).set(static_cast<double>(rec.users.managed_count));
  metrics_->managedEntriesOfKind(true).set(static_cast<double>(rec.roles.managed_count));
  metrics_->massRemovalHolding().set(0);
}

CycleReport Controller::upToDate(const core::ReconcileResult& rec, const IamInputs& iam,
                                 std::optional<AwsAuthObject> obj) {
  printUpToDate();
  if (obj) {
    std::string rv = std::move(obj->resource_version);
    expect(std::optional(std::move(obj->content)));  // obj is not used again: no 1 MiB copy
    // A cycle with frozen accounts is not up to date: the next one must look again.
    if (!rv.empty() && iam.failures.empty()) {
      quiet_ = QuietInputs{iam.rules->generation, iam.key, std::move(rv)};
    }
  } else {
    expect(std::nullopt);
  }
  setManagedMetrics(rec);
  mass_removal_.applied();
  CycleReport report;
  report.changes = rec.changes;
  report.success = true;
  return report;
}

CycleReport Controller::held(const core::ReconcileResult& rec) {
  if (options_.dry_run && options_.dry_run_out != nullptr) {
    for (const auto& c : rec.changes) *options_.dry_run_out << "held: " << describeChange(c) << "\n";
    options_.dry_run_out->flush();
  }
  CycleReport report;
  report.held = true;  // nothing applied: no changes in the report
  report.error =
      makeError(ErrorKind::kUnavailable, ports_.aws_auth.describe() + ": mass removal held; nothing written");
  return report;
}

CycleReport Controller::applied(const core::ReconcileResult& rec, AwsAuthObject written,
                                std::string written_over) {
  spdlog::info("{} {} (resourceVersion {})", written_over.empty() ? "created" : "updated",
               ports_.aws_auth.describe(), written.resource_version);
  reportApplied(rec.changes);
  // The records we wrote list exactly our entries.
  remembered_users_ = rec.users.managed_count;
  remembered_roles_ = rec.roles.managed_count;
  own_write_ = OwnWrite{std::move(written), std::move(written_over)};
  mass_removal_.applied();
  setManagedMetrics(rec);
  CycleReport report;
  report.changes = rec.changes;
  report.success = true;
  report.wrote = true;
  return report;
}

std::optional<AwsAuthObject> Controller::actOnOwnWrite(std::optional<AwsAuthObject> obj) {
  if (!own_write_) return obj;
  if (obj && !own_write_->over.empty() && obj->resource_version == own_write_->over) {
    spdlog::debug(
        "{}: the cache still shows resourceVersion {}, which our write replaced; acting on what we "
        "wrote (resourceVersion {})",
        ports_.aws_auth.describe(), own_write_->over, own_write_->written.resource_version);
    return own_write_->written;
  }
  own_write_.reset();  // the cache caught up with our write, or someone moved on from it
  return obj;
}

void Controller::checkOwnership(bool exists, const core::ReconcileResult& rec) {
  checkOwnershipOf(exists, core::PrincipalKind::kUser, rec.users, remembered_users_);
  checkOwnershipOf(exists, core::PrincipalKind::kRole, rec.roles, remembered_roles_);
}

void Controller::checkOwnershipOf(bool exists, core::PrincipalKind kind, const core::KindSummary& summary,
                                  std::optional<size_t>& remembered_ref) {
  const std::optional<size_t> remembered = remembered_ref;
  // From now on compare with what this read showed, so one loss is reported once.
  remembered_ref = summary.recorded_count;
  if (!remembered || *remembered == 0) return;
  const bool roles = kind == core::PrincipalKind::kRole;
  const char* annotation = roles ? core::kManagedRolesAnnotation : core::kManagedUsersAnnotation;
  const char* reason = nullptr;
  std::string what;
  const std::string where = ports_.aws_auth.describe();
  if (!exists || summary.record_state == core::RecordState::kAbsent) {
    reason = "absent";
    what = exists ? fmt::format("the ownership annotation {} was removed", annotation)
                  : std::string("the ConfigMap was deleted");
  } else if (summary.record_state == core::RecordState::kOtherObject) {
    reason = "other_object";
    what = fmt::format("the ownership annotation {} is bound to another object", annotation);
  } else if (summary.recorded_count < *remembered) {
    reason = "shrunk";
    what =
        fmt::format("the ownership annotation {} now lists {} entries", annotation, summary.recorded_count);
  } else {
    return;
  }
  const std::string message = fmt::format(
      "{}: {} by someone else; the last cycle left {} managed {} entries. Entries no longer in the "
      "record are treated as hand-written: never changed or removed by aws-auth-refresher, even when their "
      "IAM {} is deleted",
      where, what, *remembered, roles ? "mapRoles" : "mapUsers", roles ? "role" : "user");
  spdlog::warn("{}", message);
  ports_.aws_auth_events.warning("OwnershipRecordLost", message);
  if (metrics_ != nullptr) metrics_->ownershipRecordLost(reason);
}

bool Controller::holdMassRemoval(const core::ReconcileResult& rec) {
  std::vector<std::string> removed;
  size_t added = 0;
  for (const auto& c : rec.changes) {
    if (c.kind == core::Change::Kind::kRemoved) removed.push_back(c.arn);
    if (c.kind == core::Change::Kind::kAdded) ++added;
  }
  // Managed before the plan (both lists): after it, minus what it adds, plus what it removes (updates stay
  // managed).
  const size_t managed_before = rec.users.managed_count + rec.roles.managed_count + removed.size() - added;
  const MassRemovalGuard::Decision d = mass_removal_.evaluate(managed_before, std::move(removed));
  if (!d.mass) return false;
  const std::string where = ports_.aws_auth.describe();
  if (!d.hold) {
    spdlog::warn("{}: writing a mass removal of {} of {} managed entries ({})", where, d.removed, d.managed,
                 options_.allow_mass_removal
                     ? "--allow-mass-removal"
                     : fmt::format("the same removals computed {} cycles in a row", d.seen));
    return false;
  }
  const std::string message = fmt::format(
      "{}: held a mass removal of {} of {} managed {} entries; nothing written this cycle (computed "
      "{} of {} times in a row). It is written when the same removals are computed {} cycles in a row, or "
      "at once with --allow-mass-removal. Check the IAM listing (account, AWS_ENDPOINT_URL_IAM, "
      "credentials)",
      where, d.removed, d.managed,
      rec.roles.managed_count + rec.roles.recorded_count > 0 ? "mapUsers and mapRoles" : "mapUsers", d.seen,
      d.required, d.required);
  spdlog::warn("{}", message);
  ports_.events.warning("MassRemovalHeld", message);
  if (metrics_ != nullptr) {
    metrics_->massRemovalHeld();
    metrics_->massRemovalHolding().set(1);
  }
  return true;
}

bool Controller::matchesQuietInputs(const IamInputs& iam, const std::optional<AwsAuthObject>& obj) const {
  return quiet_ && obj && !obj->resource_version.empty() &&
         quiet_->aws_auth_resource_version == obj->resource_version &&
         quiet_->rules_generation == iam.rules->generation && quiet_->iam == iam.key;
}

void Controller::reportApplied(const std::vector<core::Change>& changes) {
  // [0]: mapUsers, [1]: mapRoles; each added, removed, updated.
  size_t counts[2][3] = {};
  for (const auto& c : changes) {
    const bool role = c.principal == core::PrincipalKind::kRole;
    spdlog::info("{} entry {}", role ? "mapRoles" : "mapUsers", describeChange(c));
    if (metrics_ != nullptr) {
      if (role) {
        metrics_->roleChangeApplied(core::changeKindName(c.kind));
      } else {
        metrics_->changeApplied(core::changeKindName(c.kind));
      }
    }
    ++counts[role ? 1 : 0][static_cast<int>(c.kind)];
  }
  std::string message = fmt::format("{}: mapUsers entries added {}, removed {}, updated {}",
                                    ports_.aws_auth.describe(), counts[0][0], counts[0][1], counts[0][2]);
  if (counts[1][0] + counts[1][1] + counts[1][2] > 0) {
    message += fmt::format("; mapRoles entries added {}, removed {}, updated {}", counts[1][0], counts[1][1],
                           counts[1][2]);
  }
  ports_.events.normal("Updated", message);
}

void Controller::printUpToDate() {
  if (options_.dry_run && options_.dry_run_out != nullptr) {
    *options_.dry_run_out << "no changes: " << ports_.aws_auth.describe() << " is up to date\n" << std::flush;
  }
}

void Controller::printDryRun(const std::vector<core::Change>& changes) {
  for (const auto& c : changes) {
    spdlog::info("dry-run: would apply: {}", describeChange(c));
    if (options_.dry_run_out != nullptr)
      *options_.dry_run_out << "would apply: " << describeChange(c) << "\n";
  }
  if (options_.dry_run_out != nullptr) options_.dry_run_out->flush();
}

}  // namespace aar::controller

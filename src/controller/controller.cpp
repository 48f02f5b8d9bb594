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
      scheduler_(schedulerOptions(options_), ports.clock.now()) {}

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
  if (auto it = content->data.find(core::kMapUsersKey); it != content->data.end()) f.map_users = it->second;
  if (auto it = content->annotations.find(core::kManagedUsersAnnotation); it != content->annotations.end()) {
    f.managed = it->second;
  }
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
  spdlog::info("{} changed outside aws-auth-refresher (mapUsers or ownership record); reconciling",
               ports_.aws_auth.describe());
  // Only one trigger per distinct outside state, so a burst of events is one cycle.
  expected_ = seen;
  scheduler_.trigger(false);
  cv_.notify_all();
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
    if (now - *cycle_started_ > window) {
      return {false, true,
              fmt::format("a cycle has been running for {} ms (limit {} ms)", ms(now - *cycle_started_),
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
    if (report.success) synced_ = true;
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

Result<core::RuleSet> Controller::resolveRules() {
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
                     "rules ConfigMap " + where + " has no mapUsers key; changing nothing");
  }
  if (!parsed_text_ || *parsed_text_ != snap->map_users) {
    // Parsed only when the text changes, so the warnings below come once per rules version.
    core::RuleSet::ParseOptions po;
    po.source = "rules ConfigMap " + where + " mapUsers";
    auto parsed = core::RuleSet::parse(snap->map_users, po);
    parsed_text_ = snap->map_users;
    if (parsed.ok()) {
      parse_error_.reset();
      last_valid_ = std::move(parsed.value());
      ++rules_generation_;
      spdlog::info("rules loaded from {}: {} rule(s) (resourceVersion {})", where,
                   last_valid_->rules().size(), snap->resource_version);
      for (const auto& warning : core::ruleWarnings(*last_valid_)) {
        spdlog::warn("rules in {}: {}", where, warning);
        ports_.events.warning("UnanchoredRule", warning);
      }
    } else {
      parse_error_ = parsed.error();
      spdlog::error("invalid rules: {}", parse_error_->message);
      ports_.events.warning("InvalidRules", parse_error_->message);
    }
  }
  if (metrics_ != nullptr) metrics_->configValid().set(parse_error_ ? 0 : 1);
  if (parse_error_) {
    if (!last_valid_) {
      return makeError(ErrorKind::kInvalidArgument,
                       parse_error_->message + " (no valid rules since start; acting on nothing)");
    }
    spdlog::warn("rules in {} are invalid; keeping the last valid rules ({} rule(s))", where,
                 last_valid_->rules().size());
  }
  if (metrics_ != nullptr) metrics_->rules().set(static_cast<double>(last_valid_->rules().size()));
  return *last_valid_;
}

CycleReport Controller::skipCycle() {
  // Another replica may write meanwhile: what we remember of the record is no longer ours to compare.
  remembered_record_.reset();
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
  auto arns = ports_.identities.listUserArns();
  if (!arns.ok()) {
    return fail(makeError(arns.error().kind, "listing IAM users: " + arns.error().message),
                "ListUsersFailed");
  }
  const std::string where = ports_.aws_auth.describe();
  auto current = ports_.aws_auth.read();
  if (!current.ok()) {
    return fail(makeError(current.error().kind, "reading " + where + ": " + current.error().message),
                "ReadFailed");
  }
  std::optional<AwsAuthObject> obj = std::move(current.value());
  if (matchesQuietInputs(*arns, obj)) {
    spdlog::debug(
        "rules, IAM users and {} (resourceVersion {}) are what the last cycle found up to date; "
        "nothing to change",
        where, obj->resource_version);
    printUpToDate();
    CycleReport report;
    report.success = true;
    report.inputs_unchanged = true;
    return report;
  }
  quiet_.reset();
  return reconcileAndWrite(*rules, std::move(arns.value()), std::move(obj));
}

CycleReport Controller::reconcileAndWrite(const core::RuleSet& rules, std::vector<std::string> arns,
                                          std::optional<AwsAuthObject> obj) {
  const std::string where = ports_.aws_auth.describe();
  for (int attempt = 0;; ++attempt) {
    if (!obj && !options_.create_aws_auth) {
      expect(std::nullopt);
      return fail(makeError(ErrorKind::kNotFound, where + " does not exist and --create-aws-auth=false"),
                  "AwsAuthMissing");
    }
    auto rec = plan(rules, arns, obj);
    if (!rec.ok()) return fail(rec.error(), "ReconcileFailed");
    if (!rec->changed) return upToDate(*rec, std::move(arns), std::move(obj));
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
    if (written.ok()) return applied(*rec, *written, obj.has_value());
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

Result<core::ReconcileResult> Controller::plan(const core::RuleSet& rules,
                                               const std::vector<std::string>& arns,
                                               const std::optional<AwsAuthObject>& obj) {
  const std::string where = ports_.aws_auth.describe();
  static const core::ConfigMapContent kNoContent;
  // A reference, not a copy: aws-auth can be 1 MiB, and this is the cycle's peak of memory.
  const core::ConfigMapContent& base = obj ? obj->content : kNoContent;
  core::ReconcileOptions reconcile_options;
  reconcile_options.adopt_matching_entries = options_.adopt_matching_entries;
  if (obj) reconcile_options.object_uid = obj->uid;
  auto rec = core::reconcile(rules, arns, base, reconcile_options);
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

CycleReport Controller::upToDate(const core::ReconcileResult& rec, std::vector<std::string> arns,
                                 std::optional<AwsAuthObject> obj) {
  printUpToDate();
  if (obj) {
    std::string rv = std::move(obj->resource_version);
    expect(std::optional(std::move(obj->content)));  // obj is not used again: no 1 MiB copy
    if (!rv.empty()) quiet_ = QuietInputs{rules_generation_, std::move(arns), std::move(rv)};
  } else {
    expect(std::nullopt);
  }
  if (metrics_ != nullptr) {
    metrics_->managedEntries().set(static_cast<double>(rec.managed_count));
    metrics_->massRemovalHolding().set(0);
  }
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

CycleReport Controller::applied(const core::ReconcileResult& rec, const AwsAuthObject& written,
                                bool updated) {
  spdlog::info("{} {} (resourceVersion {})", updated ? "updated" : "created", ports_.aws_auth.describe(),
               written.resource_version);
  reportApplied(rec.changes);
  remembered_record_ = rec.managed_count;  // the record we wrote lists exactly our entries
  mass_removal_.applied();
  if (metrics_ != nullptr) {
    metrics_->managedEntries().set(static_cast<double>(rec.managed_count));
    metrics_->massRemovalHolding().set(0);
  }
  CycleReport report;
  report.changes = rec.changes;
  report.success = true;
  report.wrote = true;
  return report;
}

void Controller::checkOwnership(bool exists, const core::ReconcileResult& rec) {
  const std::optional<size_t> remembered = remembered_record_;
  // From now on compare with what this read showed, so one loss is reported once.
  remembered_record_ = rec.recorded_count;
  if (!remembered || *remembered == 0) return;
  const char* reason = nullptr;
  std::string what;
  const std::string where = ports_.aws_auth.describe();
  if (!exists || rec.record_state == core::RecordState::kAbsent) {
    reason = "absent";
    what = exists ? fmt::format("the ownership annotation {} was removed", core::kManagedUsersAnnotation)
                  : std::string("the ConfigMap was deleted");
  } else if (rec.record_state == core::RecordState::kOtherObject) {
    reason = "other_object";
    what =
        fmt::format("the ownership annotation {} is bound to another object", core::kManagedUsersAnnotation);
  } else if (rec.recorded_count < *remembered) {
    reason = "shrunk";
    what = fmt::format("the ownership annotation {} now lists {} entries", core::kManagedUsersAnnotation,
                       rec.recorded_count);
  } else {
    return;
  }
  const std::string message = fmt::format(
      "{}: {} by someone else; the last cycle left {} managed mapUsers entries. Entries no longer in the "
      "record are treated as hand-written: never changed or removed by aws-auth-refresher, even when their "
      "IAM user is deleted",
      where, what, *remembered);
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
  // Managed before the plan: after it, minus what it adds, plus what it removes (updates stay managed).
  const size_t managed_before = rec.managed_count + removed.size() - added;
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
      "{}: held a mass removal of {} of {} managed mapUsers entries; nothing written this cycle (computed "
      "{} of {} times in a row). It is written when the same removals are computed {} cycles in a row, or "
      "at once with --allow-mass-removal. Check the IAM listing (account, AWS_ENDPOINT_URL_IAM, "
      "credentials)",
      where, d.removed, d.managed, d.seen, d.required, d.required);
  spdlog::warn("{}", message);
  ports_.events.warning("MassRemovalHeld", message);
  if (metrics_ != nullptr) {
    metrics_->massRemovalHeld();
    metrics_->massRemovalHolding().set(1);
  }
  return true;
}

bool Controller::matchesQuietInputs(const std::vector<std::string>& arns,
                                    const std::optional<AwsAuthObject>& obj) const {
  return quiet_ && obj && !obj->resource_version.empty() &&
         quiet_->aws_auth_resource_version == obj->resource_version &&
         quiet_->rules_generation == rules_generation_ && quiet_->arns == arns;
}

void Controller::reportApplied(const std::vector<core::Change>& changes) {
  size_t added = 0, removed = 0, updated = 0;
  for (const auto& c : changes) {
    spdlog::info("mapUsers entry {}", describeChange(c));
    if (metrics_ != nullptr) metrics_->changeApplied(core::changeKindName(c.kind));
    switch (c.kind) {
      case core::Change::Kind::kAdded:
        ++added;
        break;
      case core::Change::Kind::kRemoved:
        ++removed;
        break;
      case core::Change::Kind::kUpdated:
        ++updated;
        break;
    }
  }
  ports_.events.normal("Updated", fmt::format("{}: mapUsers entries added {}, removed {}, updated {}",
                                              ports_.aws_auth.describe(), added, removed, updated));
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

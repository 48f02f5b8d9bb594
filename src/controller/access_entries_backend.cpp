#include "controller/access_entries_backend.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <map>
#include <utility>

#include "core/access_entry_render.hpp"

namespace aar::controller {
namespace {

using Kind = core::AccessEntryOperation::Kind;

std::string describeOp(const core::AccessEntryOperation& op) {
  std::string out = fmt::format("{} {}", core::accessEntryOperationName(op.kind), op.principal_arn);
  if (op.kind == Kind::kAssociateAccessPolicy || op.kind == Kind::kDisassociateAccessPolicy) {
    out += " policy=" + op.policy.policy_arn;
  }
  if (op.kind == Kind::kDeleteAccessEntry)
    out += fmt::format(" reason={}", core::deleteReasonName(op.reason));
  return out;
}

}  // namespace

AccessEntriesBackend::AccessEntriesBackend(AccessEntryStore& store, EventSink& events, base::Clock& clock,
                                           AccessEntriesOptions options, ControllerMetrics* metrics)
    : store_(store), events_(events), clock_(clock), options_(std::move(options)), metrics_(metrics) {}

core::AccessEntryOptions AccessEntriesBackend::coreOptions(const AccessEntriesInputs& in) const {
  core::AccessEntryOptions o;
  o.owner_id = options_.owner_id;
  o.allow_cluster_admin_policy = options_.allow_cluster_admin_policy;
  o.mode = in.mode;
  o.hand_written_aws_auth_arns = in.hand_written_aws_auth_arns;
  return o;
}

void AccessEntriesBackend::setError(AccessEntriesReport& report, Error error, std::string_view reason) {
  if (report.error) return;  // the first reason is the report's
  report.error = std::move(error);
  report.event_reason = std::string(reason);
}

AccessEntriesReport AccessEntriesBackend::run(const AccessEntriesInputs& in) {
  AccessEntriesReport report;
  const core::AccessEntryOptions options = coreOptions(in);
  if (!validate(*in.rules, options, report)) return report;
  auto entries = store_.listEntries();
  if (options_.progress) options_.progress();
  if (!entries.ok()) {
    if (metrics_ != nullptr) metrics_->accessEntriesError("list_failed");
    setError(report,
             makeError(entries.error().kind, "listing the access entries of " + store_.describe() + ": " +
                                                 entries.error().message + "; nothing changed"),
             "ListAccessEntriesFailed");
    return report;
  }
  auto plan = core::planAccessEntries(*in.rules, *in.iam, *entries, options);
  if (!plan.ok()) {
    setError(report, makeError(plan.error().kind, store_.describe() + ": " + plan.error().message),
             "InvalidRules");
    return report;
  }
  reportPlan(*plan);
  report.not_created_over_limit = plan->not_created_over_limit;
  if (options_.dry_run) {
    printDryRun(*plan);
    report.complete = true;
  } else {
    execute(*plan, report);
  }
  report.plan = std::move(plan.value());
  return report;
}

bool AccessEntriesBackend::validate(const core::RulesConfig& rules, const core::AccessEntryOptions& options,
                                    AccessEntriesReport& report) {
  const auto errors = core::validateAccessEntryRules(rules, options);
  if (errors.empty()) {
    reported_invalid_.clear();
    return true;
  }
  std::string message;
  for (const auto& e : errors) message += (message.empty() ? "" : "; ") + e.message;
  message = "rules are invalid for the access-entries backend: " + message + "; no EKS call made";
  // Checked every cycle; logged and posted once per distinct message, like a parse error per rules version.
  if (message != reported_invalid_) {
    spdlog::error("{}", message);
    events_.warning("InvalidRules", message);
    reported_invalid_ = message;
  }
  if (metrics_ != nullptr) {
    metrics_->configValid().set(0);
    metrics_->accessEntriesError("invalid_rules");
  }
  report.error = makeError(ErrorKind::kInvalidArgument, message);
  report.event_reason = "InvalidRules";
  return false;
}

void AccessEntriesBackend::reportPlan(const core::AccessEntryPlan& plan) {
  std::map<std::string, size_t> skipped;
  for (const auto& s : plan.skipped) {
    // As today's skipped aws-auth matches: debug per principal, the counts in the skipped gauge.
    spdlog::debug("{} matches {} rule {} but gets no access entry: {}", s.principal_arn,
                  s.principal == core::PrincipalKind::kRole ? "mapRoles" : "mapUsers", s.rule_index,
                  core::skipReasonName(s.reason));
    ++skipped[core::skipReasonName(s.reason)];
  }
  for (const auto& m : plan.shadowed) {
    spdlog::debug("{} matches rule {}; also matched, not used: rules {}", m.arn, m.rule_index,
                  fmt::join(m.shadowed_rules, ", "));
  }
  for (const auto& f : plan.expansion_failures) {
    spdlog::warn("{} matches rule {} but gets no access entry: its username does not expand: {}", f.arn,
                 f.rule_index, f.reason);
    if (metrics_ != nullptr) metrics_->usernameExpansionFailed();
  }
  if (metrics_ == nullptr) return;
  for (const auto reason :
       {core::SkippedPrincipal::Reason::kForeignEntry, core::SkippedPrincipal::Reason::kHandWrittenMapping,
        core::SkippedPrincipal::Reason::kOverLimit}) {
    const char* name = core::skipReasonName(reason);
    metrics_->accessEntriesSkipped(name).set(static_cast<double>(skipped[name]));
  }
  metrics_->accessEntriesNotOurs().set(static_cast<double>(plan.foreign_count));
}

void AccessEntriesBackend::printDryRun(const core::AccessEntryPlan& plan) {
  const std::string text = core::renderAccessEntryPlanText(plan);
  spdlog::info("dry-run: access entries of {}: would call:\n{}", store_.describe(), text);
  if (options_.dry_run_out != nullptr) {
    *options_.dry_run_out << text;
    if (!text.empty() && text.back() != '\n') *options_.dry_run_out << "\n";
    options_.dry_run_out->flush();
  }
}

AccessEntriesReport AccessEntriesBackend::execute(const core::AccessEntryPlan& plan) {
  AccessEntriesReport report;
  report.not_created_over_limit = plan.not_created_over_limit;
  execute(plan, report);
  return report;
}

void AccessEntriesBackend::execute(const core::AccessEntryPlan& plan, AccessEntriesReport& report) {
  if (!plan.operations.empty() && options_.may_write && !options_.may_write()) {
    setError(report, makeError(ErrorKind::kCancelled, "lost leadership before calling EKS"),
             "LostLeadership");
    return;
  }
  Execution ex;
  for (const auto& op : plan.operations) {
    if (options_.stopping && options_.stopping()) {
      setError(report, makeError(ErrorKind::kCancelled, "shutting down"), "Cancelled");
      return;
    }
    if (ex.failed.count(op.principal_arn) > 0) continue;  // make before break, per principal
    if (op.kind == Kind::kCreateAccessEntry && ex.limit_hit) {
      ++report.not_created_over_limit;
      ex.failed.insert(op.principal_arn);
      continue;
    }
    EksStatus s = applyWithRetry(op, ex);
    if (!s.ok()) {
      onFailure(op, s.error(), ex, report);
      continue;
    }
    spdlog::info("access entries of {}: {}", store_.describe(), describeOp(op));
    if (op.kind == Kind::kCreateAccessEntry) ex.created.insert(op.principal_arn);
    report.applied.push_back(op);
  }
  // The plan itself leaves out what would exceed the limit; EKS may also refuse earlier (its count includes
  // entries made since our listing). Either way the cycle did not do everything.
  if (ex.limit_hit || report.not_created_over_limit > 0) {
    const std::string message = fmt::format(
        "{}: the access-entry limit ({} per cluster) was reached{}; {} entr(y/ies) not created this cycle; "
        "every other call was made",
        store_.describe(), core::kMaxAccessEntriesPerCluster,
        ex.limit_hit ? " (ResourceLimitExceededException)" : "", report.not_created_over_limit);
    spdlog::error("{}", message);
    events_.warning("AccessEntryLimitExceeded", message);
    if (metrics_ != nullptr) metrics_->accessEntriesError("limit_exceeded");
    setError(report, makeError(ErrorKind::kTooLarge, message), "AccessEntryLimitExceeded");
  }
  reportApplied(report.applied);
  report.complete = !report.error.has_value();
  if (metrics_ != nullptr && report.complete) {
    metrics_->accessEntriesManaged().set(static_cast<double>(plan.managed_count));
  }
}

void AccessEntriesBackend::reportApplied(const std::vector<core::AccessEntryOperation>& applied) {
  if (applied.empty()) return;
  std::map<std::string, size_t> counts;  // by operation name, sorted
  for (const auto& op : applied) ++counts[core::accessEntryOperationName(op.kind)];
  std::string message;
  for (const auto& [name, n] : counts)
    message += fmt::format("{}{} {}", message.empty() ? "" : ", ", name, n);
  events_.normal("AccessEntriesUpdated", store_.describe() + ": " + message);
}

EksStatus AccessEntriesBackend::applyWithRetry(const core::AccessEntryOperation& op, const Execution& ex) {
  EksStatus s = store_.apply(op);
  if (options_.progress) options_.progress();
  const bool retryable = op.kind == Kind::kAssociateAccessPolicy && ex.created.count(op.principal_arn) > 0;
  auto delay = options_.associate_backoff;
  for (int i = 0;
       retryable && i < options_.associate_retries && !s.ok() && s.error().code == kEksResourceNotFound;
       ++i) {
    // EKS is eventually consistent: the entry we just created may not be visible to Associate yet.
    spdlog::debug("{}: {} answered ResourceNotFoundException right after the create; retrying in {} ms",
                  store_.describe(), describeOp(op),
                  std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    clock_.sleepFor(delay);
    delay *= 2;
    s = store_.apply(op);
    if (options_.progress) options_.progress();
  }
  return s;
}

void AccessEntriesBackend::onFailure(const core::AccessEntryOperation& op, const EksError& err, Execution& ex,
                                     AccessEntriesReport& report) {
  ++report.failed_calls;
  ex.failed.insert(op.principal_arn);
  if (op.kind == Kind::kCreateAccessEntry && err.code == kEksResourceLimitExceeded) {
    ex.limit_hit = true;
    ++report.not_created_over_limit;
    return;  // reported once, with the count, after the pass
  }
  std::string message;
  if (op.kind == Kind::kCreateAccessEntry && err.code == kEksResourceInUse) {
    message = fmt::format(
        "{}: {}: someone else created an entry for this principal first (ResourceInUseException); it is "
        "read again next cycle and never overwritten",
        store_.describe(), describeOp(op));
  } else {
    message = fmt::format("{}: {} failed: {}{}; the next cycle tries again", store_.describe(),
                          describeOp(op), err.code.empty() ? "" : err.code + ": ", err.error.message);
  }
  spdlog::error("{}", message);
  events_.warning("AccessEntryCallFailed", message);
  if (metrics_ != nullptr) metrics_->accessEntriesError("eks_call_failed");
  setError(report, makeError(err.error.kind, message), "AccessEntryCallFailed");
}

}  // namespace aar::controller

import { log } from '@temporalio/activity';
import type { ApprovalNotice } from '../shared/activity-io';

export interface NotifyDeps {
  /** POSTed a JSON notice for every approval request. @default process.env.SAGENT_APPROVAL_WEBHOOK */
  webhookUrl?: string;
}

export function createNotifyActivities({ webhookUrl }: NotifyDeps) {
  return {
    /** Tells people a call waits for them: a log line always, a webhook when one is configured. */
    async notifyApproval(notice: ApprovalNotice): Promise<void> {
      const what = notice.escalated ? 'approval escalated' : 'approval requested';
      log.info(`${what}: ${notice.tool} in ${notice.workflowId}`, {
        callId: notice.callId,
        argsHash: notice.argsHash,
        expiresAt: notice.expiresAt,
        approvers: notice.approvers,
      });
      if (!webhookUrl) return;
      const response = await fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event: what, ...notice }),
      });
      if (!response.ok) throw new Error(`approval webhook answered ${response.status}`);
    },
  };
}

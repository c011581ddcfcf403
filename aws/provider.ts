import { Provider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import type { Account } from "../config/types";

/**
 * An explicit provider for one account. `allowedAccountIds` makes a run with credentials for
 * another account fail before any change; with `pulumi:disable-default-providers: [aws]` in
 * every stack file, no resource can fall back to the ambient credentials.
 * https://www.pulumi.com/registry/packages/aws/api-docs/provider/#allowedaccountids_nodejs
 */
export function accountProvider(name: string, account: Account, opts?: pulumi.CustomResourceOptions): Provider {
    return new Provider(
        name,
        {
            region: account.region,
            allowedAccountIds: [account.accountId],
            ...(account.profile !== undefined && { profile: account.profile }),
            ...(account.assumeRole !== undefined && {
                assumeRoles: [
                    {
                        roleArn: account.assumeRole.roleArn,
                        ...(account.assumeRole.externalId !== undefined && {
                            externalId: account.assumeRole.externalId,
                        }),
                        sessionName: account.assumeRole.sessionName ?? "secretshare",
                    },
                ],
            }),
            defaultTags: { tags: { "managed-by": "secretshare", "secretshare:stack": pulumi.getStack() } },
        },
        opts,
    );
}

"""The subset of GitHub's GraphQL schema hubdepot serves (names and types as GitHub declares them)."""

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID

interface Node { id: ID! }

interface RepositoryOwner { id: ID! login: String! url: URI! avatarUrl(size: Int): URI! }

interface GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! }

interface Actor { login: String! url: URI! avatarUrl(size: Int): URI! }

type Query {
  viewer: User!
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
}

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }

type User implements Node & RepositoryOwner & Actor {
  id: ID!
  databaseId: Int
  login: String!
  name: String
  email: String!
  url: URI!
  avatarUrl(size: Int): URI!
  organizations(first: Int, after: String): OrganizationConnection!
}

type Organization implements Node & RepositoryOwner & Actor {
  id: ID!
  databaseId: Int
  login: String!
  name: String
  email: String
  url: URI!
  avatarUrl(size: Int): URI!
}

type OrganizationEdge { node: Organization cursor: String! }
type OrganizationConnection { nodes: [Organization] edges: [OrganizationEdge] pageInfo: PageInfo! totalCount: Int! }

enum RepositoryVisibility { PRIVATE PUBLIC INTERNAL }
enum RepositoryPermission { ADMIN MAINTAIN WRITE TRIAGE READ }
enum OrderDirection { ASC DESC }
enum ReleaseOrderField { CREATED_AT NAME }
input ReleaseOrder { field: ReleaseOrderField! direction: OrderDirection! }

type Repository implements Node {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  url: URI!
  description: String
  isPrivate: Boolean!
  visibility: RepositoryVisibility!
  viewerPermission: RepositoryPermission
  hasIssuesEnabled: Boolean!
  hasWikiEnabled: Boolean!
  parent: Repository
  mergeCommitAllowed: Boolean!
  rebaseMergeAllowed: Boolean!
  squashMergeAllowed: Boolean!
  defaultBranchRef: Ref
  ref(qualifiedName: String!): Ref
  release(tagName: String!): Release
  latestRelease: Release
  releases(first: Int, after: String, last: Int, before: String, orderBy: ReleaseOrder): ReleaseConnection!
  object(oid: GitObjectID, expression: String): GitObject
  issueOrPullRequest(number: Int!): IssueOrPullRequest
  issues(first: Int, after: String, last: Int, before: String, states: [IssueState!], labels: [String!],
         filterBy: IssueFilters, orderBy: IssueOrder): IssueConnection!
}

type Ref implements Node { id: ID! name: String! prefix: String! target: GitObject }

type Commit implements Node & GitObject {
  id: ID!
  oid: GitObjectID!
  abbreviatedOid: String!
  associatedPullRequests(first: Int, after: String, last: Int, before: String): PullRequestConnection
}
type Tree implements Node & GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! }
type Blob implements Node & GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! }
type Tag implements Node & GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! }

type Release implements Node {
  id: ID!
  databaseId: Int
  name: String
  tagName: String!
  description: String
  isDraft: Boolean!
  isLatest: Boolean!
  isPrerelease: Boolean!
  isImmutable: Boolean!
  createdAt: DateTime!
  publishedAt: DateTime
  updatedAt: DateTime!
  url: URI!
  author: User
  tag: Ref
  tagCommit: Commit
  releaseAssets(first: Int, after: String, name: String): ReleaseAssetConnection!
}

type ReleaseEdge { node: Release cursor: String! }
type ReleaseConnection { nodes: [Release] edges: [ReleaseEdge] pageInfo: PageInfo! totalCount: Int! }

type ReleaseAsset implements Node {
  id: ID!
  databaseId: Int
  name: String!
  contentType: String!
  size: Int!
  downloadCount: Int!
  downloadUrl: URI!
  url: URI!
  createdAt: DateTime!
  updatedAt: DateTime!
  uploadedBy: User
}

type ReleaseAssetEdge { node: ReleaseAsset cursor: String! }
type ReleaseAssetConnection { nodes: [ReleaseAsset] edges: [ReleaseAssetEdge] pageInfo: PageInfo! totalCount: Int! }

# Issues and pull requests: hubdepot has neither (repositories answer has_issues: false), so every
# list is empty; the types exist so that the queries release tools send validate, as on GitHub.
enum IssueState { OPEN CLOSED }
enum PullRequestState { OPEN CLOSED MERGED }
enum MilestoneState { OPEN CLOSED }
enum LockReason { OFF_TOPIC RESOLVED SPAM TOO_HEATED }
enum MergeableState { CONFLICTING MERGEABLE UNKNOWN }
enum CommentAuthorAssociation {
  COLLABORATOR CONTRIBUTOR FIRST_TIMER FIRST_TIME_CONTRIBUTOR MANNEQUIN MEMBER NONE OWNER
}
enum IssueOrderField { COMMENTS CREATED_AT UPDATED_AT }
input IssueOrder { field: IssueOrderField! direction: OrderDirection! }
input IssueFilters {
  assignee: String createdBy: String labels: [String!] mentioned: String milestone: String
  milestoneNumber: String since: DateTime states: [IssueState!] viewerSubscribed: Boolean = false
}

type Label implements Node { id: ID! name: String! color: String! description: String isDefault: Boolean! url: URI! }
type LabelConnection { nodes: [Label] pageInfo: PageInfo! totalCount: Int! }
type Milestone implements Node {
  id: ID! number: Int! title: String! description: String state: MilestoneState! url: URI! creator: Actor
  createdAt: DateTime! closedAt: DateTime updatedAt: DateTime!
}
type IssueCommentConnection { totalCount: Int! }
type PullRequestCommitConnection { totalCount: Int! }

type Issue implements Node {
  id: ID! number: Int! title: String! body: String! url: URI! state: IssueState! author: Actor
  authorAssociation: CommentAuthorAssociation! createdAt: DateTime! updatedAt: DateTime! closedAt: DateTime
  comments(first: Int, after: String, last: Int, before: String): IssueCommentConnection!
  labels(first: Int, after: String, last: Int, before: String): LabelConnection
  milestone: Milestone locked: Boolean! activeLockReason: LockReason
}
type IssueEdge { node: Issue cursor: String! }
type IssueConnection { nodes: [Issue] edges: [IssueEdge] pageInfo: PageInfo! totalCount: Int! }

type PullRequest implements Node {
  id: ID! number: Int! title: String! body: String! url: URI! state: PullRequestState! author: Actor
  authorAssociation: CommentAuthorAssociation! createdAt: DateTime! updatedAt: DateTime! closedAt: DateTime
  comments(first: Int, after: String, last: Int, before: String): IssueCommentConnection!
  labels(first: Int, after: String, last: Int, before: String): LabelConnection
  milestone: Milestone locked: Boolean! activeLockReason: LockReason
  mergeable: MergeableState! changedFiles: Int! mergedAt: DateTime isDraft: Boolean! mergedBy: Actor
  commits(first: Int, after: String, last: Int, before: String): PullRequestCommitConnection!
}
type PullRequestEdge { node: PullRequest cursor: String! }
type PullRequestConnection { nodes: [PullRequest] edges: [PullRequestEdge] pageInfo: PageInfo! totalCount: Int! }

union IssueOrPullRequest = Issue | PullRequest
"""

"""The subset of GitHub's GraphQL schema hubdepot serves (names and types as GitHub declares them)."""

SDL = '''
scalar DateTime
scalar URI
scalar GitObjectID

interface Node { id: ID! }

interface RepositoryOwner { id: ID! login: String! url: URI! avatarUrl(size: Int): URI! }

interface GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! }

type Query {
  viewer: User!
  repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
}

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }

type User implements Node & RepositoryOwner {
  id: ID!
  databaseId: Int
  login: String!
  name: String
  email: String!
  url: URI!
  avatarUrl(size: Int): URI!
  organizations(first: Int, after: String): OrganizationConnection!
}

type Organization implements Node & RepositoryOwner {
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
}

type Ref implements Node { id: ID! name: String! prefix: String! target: GitObject }

type Commit implements Node & GitObject { id: ID! oid: GitObjectID! abbreviatedOid: String! }

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
'''

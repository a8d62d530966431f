/** Where Kubernetes mounts a pod's service-account token (Vault's Kubernetes auth reads it). */
export const DEFAULT_K8S_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

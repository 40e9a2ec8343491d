/** Namespace, Node, StorageClass, PersistentVolume and PersistentVolumeClaim manifests. */
import type { KubeObject } from '../../k8s/object.ts';

type Obj = Record<string, any>;

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export interface NodeInit {
  name: string;
  zone: string;
  instanceType: string;
  internalIP: string;
  podCIDR: string;
  providerID: string;
  time: string;
  images: { names: string[]; sizeBytes: number }[];
}

function nodeCondition(type: string, status: string, reason: string, message: string, time: string): Obj {
  return { type, status, lastHeartbeatTime: time, lastTransitionTime: time, reason, message };
}

export function node(n: NodeInit): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': n.instanceType,
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': n.zone,
        'eks.amazonaws.com/nodegroup': 'general-purpose',
      },
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': n.internalIP,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR], providerID: n.providerID },
    status: {
      capacity: { cpu: '4', 'ephemeral-storage': '104845292Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '16069856Ki', pods: '110' },
      allocatable: { cpu: '3920m', 'ephemeral-storage': '95551679124', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '15052000Ki', pods: '110' },
      conditions: [
        nodeCondition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', n.time),
        nodeCondition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', n.time),
        nodeCondition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', n.time),
        nodeCondition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status', n.time),
      ],
      addresses: [
        { type: 'InternalIP', address: n.internalIP },
        { type: 'InternalDNS', address: `${n.name}` },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: n.providerID.slice(-17).replace(/[^0-9a-f]/g, '0').padEnd(32, '0'),
        systemUUID: `ec2${n.providerID.slice(-8)}-0000-0000-0000-000000000000`,
        bootID: `${n.providerID.slice(-8)}-1111-2222-3333-444455556666`,
        kernelVersion: '6.1.115-126.197.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.6.20241121',
        containerRuntimeVersion: 'containerd://1.7.23',
        kubeletVersion: 'v1.31.4-eks-0f56d01',
        kubeProxyVersion: 'v1.31.4-eks-0f56d01',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: n.images,
    },
  };
}

export function storageClass(name: string, isDefault: boolean): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: 'efs.csi.aws.com',
    parameters: { provisioningMode: 'efs-ap', directoryPerms: '700' },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
    allowVolumeExpansion: true,
  };
}

export interface VolumeInit {
  pvName: string;
  claim: { namespace: string; name: string; uid: string };
  storage: string;
  storageClass: string;
  volumeHandle: string;
}

export function persistentVolume(v: VolumeInit): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: v.pvName,
      annotations: { 'pv.kubernetes.io/provisioned-by': 'efs.csi.aws.com', 'volume.kubernetes.io/provisioner-deletion-secret-name': '' },
      finalizers: ['kubernetes.io/pv-protection'],
    },
    spec: {
      capacity: { storage: v.storage },
      csi: { driver: 'efs.csi.aws.com', volumeHandle: v.volumeHandle },
      accessModes: ['ReadWriteMany'],
      claimRef: { kind: 'PersistentVolumeClaim', namespace: v.claim.namespace, name: v.claim.name, uid: v.claim.uid, apiVersion: 'v1' },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: v.storageClass,
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound' },
  };
}

export function persistentVolumeClaim(namespace: string, name: string, storage: string, storageClass: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace,
      labels,
      annotations: { 'volume.beta.kubernetes.io/storage-provisioner': 'efs.csi.aws.com', 'volume.kubernetes.io/storage-provisioner': 'efs.csi.aws.com' },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage } }, storageClassName: storageClass, volumeMode: 'Filesystem' },
    status: { phase: 'Pending' },
  };
}

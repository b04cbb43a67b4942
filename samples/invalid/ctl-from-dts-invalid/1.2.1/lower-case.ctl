<DTSControl>
<Version>1.0</Version>
<AddressType>DTS</AddressType>
<MessageType>Data</MessageType>
<From_DTS>a23456ot001</From_DTS>
<To_DTS>GPPROVIDER_9994567896_05111972_Brackley</To_DTS>
<Subject>Federated consultation report for Oliver Brackley , NHS Number 9994567896, seen at Northgate Federated Practice, ODS Code A23456, Version 1</Subject>
<LocalId>A23456</LocalId>
<DTSId></DTSId>
<PartnerId></PartnerId>
<Compress>Y</Compress>
<Encrypted>N</Encrypted>
<WorkflowId>GPFED_CONSULT_REPORT</WorkflowId>
<ProcessId></ProcessId>
<DataChecksum></DataChecksum>
<IsCompressed>N</IsCompressed>
</DTSControl>

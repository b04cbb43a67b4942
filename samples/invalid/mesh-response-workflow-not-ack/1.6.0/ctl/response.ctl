<DTSControl>
<Version>1.0</Version>
<AddressType>DTS</AddressType>
<MessageType>Data</MessageType>
<From_DTS>B34567OT001</From_DTS>
<To_DTS>GPPROVIDER_9993456780_23061987_Fernley</To_DTS>
<Subject>Consultation report for Harriet Fernley, NHS Number 9993456780, seen at Riverside Health Hub, ODS Code A12345, Version 1</Subject>
<LocalId>B34567</LocalId>
<DTSId></DTSId>
<PartnerId></PartnerId>
<Compress>Y</Compress>
<Encrypted>N</Encrypted>
<WorkflowId>GPFED_CONSULT_REPORT</WorkflowId>
<ProcessId></ProcessId>
<DataChecksum></DataChecksum>
<IsCompressed>N</IsCompressed>
</DTSControl>
